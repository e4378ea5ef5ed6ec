using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// <c>POST /auth/token</c>: the refresh token (cookie for browsers, body for native apps) buys a new access token and
/// rotates. Leeway, reuse detection and concurrency are covered elsewhere; here is the contract a client sees.
/// </summary>
public sealed class RefreshTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public RefreshTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task A_browser_refreshes_with_its_cookie_and_receives_a_new_cookie()
    {
        using var browser = _factory.CreateBrowser();
        var (firstCookie, accessToken) = await SignupInBrowserAsync(browser);

        using var response = await browser.PostAsync("/auth/token", null, Ct);

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: false);
        var secondCookie = AssertRefreshCookie(response);
        Assert.NotEqual(firstCookie, secondCookie);
        var newAccessToken = body.GetProperty("accessToken").GetString()!;
        Assert.Equal(Claim(accessToken, "sid"), Claim(newAccessToken, "sid"));
        using var me = await SendBearerAsync(browser, HttpMethod.Get, "/members/me", newAccessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        // The browser keeps refreshing with the cookie it was given last.
        using var again = await browser.PostAsync("/auth/token", null, Ct);
        await AssertTokenResponseAsync(again, HttpStatusCode.OK, refreshTokenInBody: false);
        Assert.NotEqual(secondCookie, AssertRefreshCookie(again));
    }

    [Fact]
    public async Task A_native_app_refreshes_with_the_token_in_the_body_and_receives_the_successor_in_the_body()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await RefreshWithBodyAsync(client, member.RefreshToken);

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: true);
        var successor = body.GetProperty("refreshToken").GetString()!;
        Assert.NotEqual(member.RefreshToken, successor);
        Assert.Equal(Claim(member.AccessToken, "sid"), Claim(body.GetProperty("accessToken").GetString()!, "sid"));
        await AssertRefreshWorksAsync(client, successor);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("not.a.jwt.either")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAéA")]
    public async Task A_garbage_refresh_token_is_401_invalid_grant(string token)
    {
        using var client = _factory.CreateApiClient();

        using var response = await RefreshWithBodyAsync(client, token);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_grant");
        Assert.False(FindRefreshCookie(response) is { Value.Length: 86 }, "A refused refresh must not hand out a refresh cookie.");
    }

    [Fact]
    public async Task No_refresh_token_at_all_is_401_invalid_grant()
    {
        using var client = _factory.CreateApiClient();

        using var empty = await client.PostAsync("/auth/token", null, Ct);
        using var emptyObject = await client.PostAsJsonAsync("/auth/token", new { }, Ct);
        using var nullToken = await client.PostAsJsonAsync("/auth/token", new { refreshToken = (string?)null }, Ct);

        await AssertProblemAsync(empty, HttpStatusCode.Unauthorized, "invalid_grant");
        await AssertProblemAsync(emptyObject, HttpStatusCode.Unauthorized, "invalid_grant");
        await AssertProblemAsync(nullToken, HttpStatusCode.Unauthorized, "invalid_grant");
    }

    [Fact]
    public async Task A_well_formed_forged_token_is_401_and_revokes_nothing()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        // Random bytes in the right shape, and a forgery that names the member's real session (sid is public: it is
        // in every access token) with a made-up secret and tag.
        var sid = Base64Url.DecodeFromChars(Claim(member.AccessToken, "sid"));
        var namingRealSid = Base64Url.EncodeToString([.. sid, .. RandomNumberGenerator.GetBytes(48)]);
        Assert.Equal(86, namingRealSid.Length);

        using var random = await RefreshWithBodyAsync(client, RandomRefreshShapedToken());
        using var forged = await RefreshWithBodyAsync(client, namingRealSid);

        await AssertProblemAsync(random, HttpStatusCode.Unauthorized, "invalid_grant");
        await AssertProblemAsync(forged, HttpStatusCode.Unauthorized, "invalid_grant");
        await AssertRefreshWorksAsync(client, member.RefreshToken);
    }

    [Fact]
    public async Task The_cookie_from_a_disallowed_origin_is_403_and_the_session_survives()
    {
        using var browser = _factory.CreateBrowser();
        var (cookie, _) = await SignupInBrowserAsync(browser);

        using var evil = new HttpRequestMessage(HttpMethod.Post, "/auth/token");
        evil.Headers.Add("Origin", EvilOrigin);
        using var refused = await browser.SendAsync(evil, Ct);

        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "origin_not_allowed");
        Assert.DoesNotContain(cookie, string.Join(" ", refused.Headers.TryGetValues("Set-Cookie", out var set) ? set : []), StringComparison.Ordinal);

        // The same cookie still works from the allowed origin: the refusal rotated and revoked nothing.
        using var allowed = await browser.PostAsync("/auth/token", null, Ct);
        await AssertTokenResponseAsync(allowed, HttpStatusCode.OK, refreshTokenInBody: false);
        AssertRefreshCookie(allowed);
    }

    [Fact]
    public async Task The_cookie_without_an_Origin_header_is_accepted()
    {
        // Browsers send Origin on every POST; a request without one is not a cross-origin browser call.
        using var client = _factory.CreateBrowser(origin: null);
        await SignupInBrowserAsync(client);

        using var response = await client.PostAsync("/auth/token", null, Ct);

        await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: false);
        AssertRefreshCookie(response);
    }

    [Fact]
    public async Task The_cookie_from_Gatehouse_s_own_origin_is_accepted()
    {
        using var client = _factory.CreateBrowser(origin: GatehouseFactory.Issuer);
        await SignupInBrowserAsync(client);

        using var response = await client.PostAsync("/auth/token", null, Ct);

        await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: false);
    }

    [Fact]
    public async Task A_refused_cookie_is_cleared()
    {
        using var client = _factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/token");
        request.Headers.Add("Origin", AllowedOrigin);
        request.Headers.Add("Cookie", CookieName + "=" + RandomRefreshShapedToken());

        using var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_grant");
        AssertRefreshCookieCleared(response);
    }

    /// <summary>Signs up through a cookie-keeping client; returns the refresh cookie's value and the access token.</summary>
    internal static async Task<(string Cookie, string AccessToken)> SignupInBrowserAsync(HttpClient browser, string? email = null)
    {
        using var response = await browser.PostAsJsonAsync("/auth/signup", new { email = email ?? NewEmail(), password = Password, nickname = "Browser" }, Ct);
        var body = await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: false);
        return (AssertRefreshCookie(response), body.GetProperty("accessToken").GetString()!);
    }
}
