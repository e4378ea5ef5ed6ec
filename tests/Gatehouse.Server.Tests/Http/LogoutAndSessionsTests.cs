using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary><c>/auth/logout</c>, <c>/auth/logout-all</c> and <c>/auth/sessions</c>: ending sessions, as the member sees them.</summary>
public sealed class LogoutAndSessionsTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public LogoutAndSessionsTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Logout_with_the_cookie_is_204_clears_the_cookie_and_ends_the_session()
    {
        using var browser = _factory.CreateBrowser();
        var (cookie, _) = await RefreshTests.SignupInBrowserAsync(browser);

        using var response = await browser.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertRefreshCookieCleared(response);
        using var api = _factory.CreateApiClient();
        await AssertRefreshFailsAsync(api, cookie);
        using var refreshAfter = await browser.PostAsync("/auth/token", null, Ct);
        await AssertProblemAsync(refreshAfter, HttpStatusCode.Unauthorized, "invalid_grant");
    }

    [Fact]
    public async Task Logout_is_idempotent()
    {
        using var browser = _factory.CreateBrowser();
        var (cookie, _) = await RefreshTests.SignupInBrowserAsync(browser);
        using (var first = await browser.PostAsync("/auth/logout", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        using var again = await browser.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);

        // The ended token presented once more (as a stale tab would) is still just a 204.
        using var client = _factory.CreateApiClient();
        using var stale = await client.PostAsJsonAsync("/auth/logout", new { refreshToken = cookie }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, stale.StatusCode);
    }

    [Fact]
    public async Task Logout_with_the_refresh_token_in_the_body_ends_that_session_only()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var other = await LoginForTokensAsync(client, member.Email);

        using var response = await client.PostAsJsonAsync("/auth/logout", new { refreshToken = member.RefreshToken }, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        await AssertRefreshWorksAsync(client, other.RefreshToken!);
    }

    [Fact]
    public async Task Logout_with_only_a_bearer_token_ends_the_session_named_by_its_sid()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var other = await LoginForTokensAsync(client, member.Email);

        using var response = await SendBearerAsync(client, HttpMethod.Post, "/auth/logout", member.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        await AssertRefreshWorksAsync(client, other.RefreshToken!);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public async Task Logout_with_a_malformed_refresh_token_is_204(string token)
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/logout", new { refreshToken = token }, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Logout_with_nothing_is_204()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Logout_all_ends_every_session_of_the_member_and_no_one_else_s()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var second = await LoginForTokensAsync(client, member.Email);
        var third = await LoginForTokensAsync(client, member.Email);
        var stranger = await _factory.SignupAsync(client);

        using var response = await SendBearerAsync(client, HttpMethod.Post, "/auth/logout-all", second.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        await AssertRefreshFailsAsync(client, second.RefreshToken!);
        await AssertRefreshFailsAsync(client, third.RefreshToken!);
        await AssertRefreshWorksAsync(client, stranger.RefreshToken);
        using var sessions = await SendBearerAsync(client, HttpMethod.Get, "/auth/sessions", second.AccessToken);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        Assert.Empty((await ReadJsonAsync(sessions)).EnumerateArray());
    }

    [Fact]
    public async Task Logout_all_without_a_token_is_401()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsync("/auth/logout-all", null, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Sessions_lists_each_session_with_exactly_one_current()
    {
        using var client = _factory.CreateApiClient();
        var email = NewEmail();
        var first = await SignupWithUserAgentAsync(client, email, "GatehouseTests/1.0 (first device)");
        var second = await LoginWithUserAgentAsync(client, email, "GatehouseTests/1.0 (second device)");

        using var response = await SendBearerAsync(client, HttpMethod.Get, "/auth/sessions", second.AccessToken!);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var sessions = (await ReadJsonAsync(response)).EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s =>
        {
            Assert.Equal(["createdAt", "current", "expiresAt", "id", "lastUsedAt", "userAgent"], s.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
            Assert.True(s.GetProperty("expiresAt").GetDateTimeOffset() > s.GetProperty("createdAt").GetDateTimeOffset());
            Assert.True(s.GetProperty("lastUsedAt").GetDateTimeOffset() >= s.GetProperty("createdAt").GetDateTimeOffset());
        });
        var current = Assert.Single(sessions, s => s.GetProperty("current").GetBoolean());
        Assert.Equal(Claim(second.AccessToken!, "sid"), current.GetProperty("id").GetString());
        Assert.Equal("GatehouseTests/1.0 (second device)", current.GetProperty("userAgent").GetString());
        var notCurrent = Assert.Single(sessions, s => !s.GetProperty("current").GetBoolean());
        Assert.Equal(Claim(first.AccessToken!, "sid"), notCurrent.GetProperty("id").GetString());
        Assert.Equal("GatehouseTests/1.0 (first device)", notCurrent.GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task Sessions_without_a_token_is_401()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/auth/sessions", Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Deleting_a_session_ends_it_and_leaves_the_others()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var other = await LoginForTokensAsync(client, member.Email);
        var target = Claim(member.AccessToken, "sid");

        using var response = await SendBearerAsync(client, HttpMethod.Delete, "/auth/sessions/" + target, other.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        await AssertRefreshWorksAsync(client, other.RefreshToken!);
        using var list = await SendBearerAsync(client, HttpMethod.Get, "/auth/sessions", other.AccessToken);
        var ids = (await ReadJsonAsync(list)).EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        Assert.Equal([Claim(other.AccessToken, "sid")], ids);

        // Gone is gone: deleting it again is 404.
        using var again = await SendBearerAsync(client, HttpMethod.Delete, "/auth/sessions/" + target, other.AccessToken);
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Deleting_another_member_s_session_is_404_and_it_keeps_working()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var victim = await _factory.SignupAsync(client);

        using var response = await SendBearerAsync(client, HttpMethod.Delete, "/auth/sessions/" + Claim(victim.AccessToken, "sid"), member.AccessToken);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        await AssertRefreshWorksAsync(client, victim.RefreshToken);
    }

    [Theory]
    [InlineData("not-a-session-id")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("%20")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("++++++++++++++++++++++")]
    [InlineData("..%2F..%2Fadmin")]
    public async Task Deleting_a_malformed_or_unknown_session_id_is_404(string id)
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await SendBearerAsync(client, HttpMethod.Delete, "/auth/sessions/" + id, member.AccessToken);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        await AssertRefreshWorksAsync(client, member.RefreshToken);
    }

    private static async Task<TokenBody> SignupWithUserAgentAsync(HttpClient client, string email, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/signup")
        {
            Content = JsonContent.Create(new { email, password = Password, nickname = "Agent", refreshTokenDelivery = "body" }),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TokenBody>(JsonSerializerOptions.Web, Ct))!;
    }

    private static async Task<TokenBody> LoginWithUserAgentAsync(HttpClient client, string email, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login")
        {
            Content = JsonContent.Create(new { provider = "password", email, password = Password, refreshTokenDelivery = "body" }),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TokenBody>(JsonSerializerOptions.Web, Ct))!;
    }
}
