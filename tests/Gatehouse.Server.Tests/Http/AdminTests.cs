using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary><c>/admin/*</c>: operator actions behind <c>Authorization: AdminKey &lt;key&gt;</c>, closed to members.</summary>
public sealed class AdminTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public AdminTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Find_member_by_email_returns_the_member()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client, email: "Admin.Find." + Guid.NewGuid().ToString("N")[..8] + "@Example.com");
        using var admin = _factory.CreateAdminClient();

        using var response = await admin.GetAsync("/admin/members?email=" + Uri.EscapeDataString(member.Email.ToUpperInvariant()), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(Claim(member.AccessToken, "sub"), body.GetProperty("id").GetString());
        Assert.Equal(member.Email, body.GetProperty("email").GetString());
        Assert.Equal("Tester", body.GetProperty("nickname").GetString());
        Assert.True(body.TryGetProperty("createdAt", out _));
        Assert.False(body.TryGetProperty("passwordHash", out _));
    }

    [Fact]
    public async Task Find_member_with_an_unknown_email_is_404_and_with_a_bad_one_400()
    {
        using var admin = _factory.CreateAdminClient();

        using var unknown = await admin.GetAsync("/admin/members?email=" + Uri.EscapeDataString(NewEmail("nobody")), Ct);
        using var bad = await admin.GetAsync("/admin/members?email=not-an-email", Ct);
        using var missing = await admin.GetAsync("/admin/members", Ct);

        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");
        await AssertValidationProblemAsync(bad, "email");
        await AssertValidationProblemAsync(missing, "email");
    }

    /// <summary>
    /// The outbox listing's filters name what exists: a misspelt kind was an empty list, and a NUL in it was a 503
    /// "backing store unavailable" on PostgreSQL (whose text refuses NUL). Each is 400 naming the parameter.
    /// </summary>
    [Theory]
    [InlineData("/admin/outbox/entries?kind=webhooks", "kind")]
    [InlineData("/admin/outbox/entries?kind=%00", "kind")]
    [InlineData("/admin/outbox/entries?kind=webhook%00", "kind")]
    [InlineData("/admin/outbox/entries?status=%00", "status")]
    [InlineData("/admin/webhooks/deliveries?status=dead%00", "status")]
    public async Task An_outbox_filter_that_names_nothing_is_400(string path, string field)
    {
        using var admin = _factory.CreateAdminClient();

        using var response = await admin.GetAsync(new Uri(path, UriKind.Relative), Ct);

        await AssertValidationProblemAsync(response, field);
        foreach (var kind in new[] { "webhook", "sessions.revoke", "provider.revoke", "provider.deprovision" })
        {
            using var listed = await admin.GetAsync(new Uri("/admin/outbox/entries?kind=" + kind, UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.Equal(System.Text.Json.JsonValueKind.Array, (await ReadJsonAsync(listed)).ValueKind);
        }
    }

    [Fact]
    public async Task Without_credentials_the_admin_api_is_401_with_a_challenge()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/admin/members?email=" + Uri.EscapeDataString(NewEmail()), Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task A_wrong_admin_key_is_401()
    {
        using var client = _factory.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AdminKey", GatehouseFactory.AdminKey + "x");
        var keysBefore = await PublishedKidsAsync(client);

        using var response = await client.GetAsync("/admin/members?email=" + Uri.EscapeDataString(NewEmail()), Ct);
        using var rotate = await client.PostAsync("/admin/keys/rotate", null, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        Assert.Equal(HttpStatusCode.Unauthorized, rotate.StatusCode);
        Assert.Equal(keysBefore, await PublishedKidsAsync(client));
    }

    [Fact]
    public async Task A_member_s_bearer_token_is_403()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await SendBearerAsync(client, HttpMethod.Get, "/admin/members?email=" + Uri.EscapeDataString(member.Email), member.AccessToken);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Forced_logout_ends_every_session_of_the_member()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var second = await LoginForTokensAsync(client, member.Email);
        var bystander = await _factory.SignupAsync(client);
        using var admin = _factory.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/members/" + Claim(member.AccessToken, "sub") + "/logout", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await ReadJsonAsync(response)).GetProperty("sessionsEnded").GetInt32());
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        await AssertRefreshFailsAsync(client, second.RefreshToken!);
        await AssertRefreshWorksAsync(client, bystander.RefreshToken);

        // Nothing left to end.
        using var again = await admin.PostAsync("/admin/members/" + Claim(member.AccessToken, "sub") + "/logout", null, Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(0, (await ReadJsonAsync(again)).GetProperty("sessionsEnded").GetInt32());
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-member-id")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!")]
    public async Task Forced_logout_of_an_unknown_member_is_404(string id)
    {
        using var admin = _factory.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/members/" + id + "/logout", null, Ct);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Forced_logout_with_a_member_s_token_is_403_and_ends_nothing()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await SendBearerAsync(client, HttpMethod.Post, "/admin/members/" + Claim(member.AccessToken, "sub") + "/logout", member.AccessToken);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        await AssertRefreshWorksAsync(client, member.RefreshToken);
    }

    [Fact]
    public async Task Key_rotation_publishes_a_new_key_ahead_while_the_current_one_keeps_signing()
    {
        using var client = _factory.CreateApiClient();
        using var admin = _factory.CreateAdminClient();
        var before = await PublishedKidsAsync(client);

        using var response = await admin.PostAsync("/admin/keys/rotate", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = await ReadJsonAsync(response);
        var kid = key.GetProperty("kid").GetString()!;
        Assert.Equal("ES256", key.GetProperty("algorithm").GetString());
        Assert.True(key.GetProperty("activatesAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(1), "A rotated key is published ahead before it signs.");
        Assert.DoesNotContain(kid, before);
        var after = await PublishedKidsAsync(client);
        Assert.Contains(kid, after);
        Assert.Superset(before.ToHashSet(), after.ToHashSet());

        // Tokens are still signed by a key verifiers already have, and still work.
        var member = await _factory.SignupAsync(client);
        Assert.Contains(ReadJwt(member.AccessToken).Kid, before);
        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    private static async Task<List<string>> PublishedKidsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/.well-known/jwks.json", Ct);
        return [.. (await ReadJsonAsync(response)).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }
}
