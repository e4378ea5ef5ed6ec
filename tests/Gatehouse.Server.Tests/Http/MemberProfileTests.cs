using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary><c>/members/me</c>: the member's own profile, whose <c>id</c> is the access token's <c>sub</c>.</summary>
public sealed class MemberProfileTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public MemberProfileTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Me_returns_id_email_nickname_and_createdAt_with_id_equal_to_sub()
    {
        using var client = _factory.CreateApiClient();
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);
        var member = await _factory.SignupAsync(client, email: "Profile." + Guid.NewGuid().ToString("N")[..8] + "@Example.com");

        using var response = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(["createdAt", "email", "hasPassword", "id", "identities", "nickname"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(Claim(member.AccessToken, "sub"), body.GetProperty("id").GetString());
        Assert.Equal(member.Email, body.GetProperty("email").GetString());
        Assert.Equal("Tester", body.GetProperty("nickname").GetString());
        Assert.InRange(body.GetProperty("createdAt").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(2));
    }

    [Fact]
    public async Task Me_without_a_token_is_401()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/members/me", Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Patch_me_changes_the_nickname()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var request = Bearer(HttpMethod.Patch, "/members/me", member.AccessToken);
        request.Content = JsonContent.Create(new { nickname = "  Renamed Ünïcode 名前  " });
        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal("Renamed Ünïcode 名前", body.GetProperty("nickname").GetString());
        Assert.Equal(Claim(member.AccessToken, "sub"), body.GetProperty("id").GetString());
        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);
        Assert.Equal("Renamed Ünïcode 名前", (await ReadJsonAsync(me)).GetProperty("nickname").GetString());
        Assert.Equal(member.Email, (await ReadJsonAsync(me)).GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("01234567890123456789012345678901234567890")]
    [InlineData("bell\u0007")]
    public async Task Patch_me_with_an_invalid_nickname_is_400_and_changes_nothing(string? nickname)
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var request = Bearer(HttpMethod.Patch, "/members/me", member.AccessToken);
        request.Content = JsonContent.Create(new { nickname });
        using var response = await client.SendAsync(request, Ct);

        await AssertValidationProblemAsync(response, "nickname");
        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);
        Assert.Equal("Tester", (await ReadJsonAsync(me)).GetProperty("nickname").GetString());
    }

    [Fact]
    public async Task Patch_me_without_a_token_is_401()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PatchAsJsonAsync("/members/me", new { nickname = "Anyone" }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }
}
