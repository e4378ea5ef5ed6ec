using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>The hand-off flow end to end: Gatehouse's authorization answer, the fake provider, <c>POST /auth/login</c>.</summary>
public sealed class HandOffFlowTests : IClassFixture<SocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public HandOffFlowTests(SocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_first_login_signs_up_with_201_and_the_next_logs_the_same_member_in_with_200()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var user = _fixture.Kakao.NextUser;
        using var first = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var created = await AssertTokenResponseAsync(first, HttpStatusCode.Created, refreshTokenInBody: true);
        var member = AccessTokenSubject(created.GetProperty("accessToken").GetString()!);

        _fixture.Kakao.NextUser = user;
        using var second = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var loggedIn = await AssertTokenResponseAsync(second, HttpStatusCode.OK, refreshTokenInBody: true);
        Assert.Equal(member, AccessTokenSubject(loggedIn.GetProperty("accessToken").GetString()!));

        // The provider's tokens are never handed out: the access token is Gatehouse's own, for a meaningless member id.
        Assert.DoesNotContain(user.Subject, member, StringComparison.Ordinal);
        var me = await GetMeAsync(client, loggedIn.GetProperty("accessToken").GetString()!);
        Assert.Equal(member, me.GetProperty("id").GetString());
        Assert.False(me.GetProperty("hasPassword").GetBoolean());
        var identity = Assert.Single(me.GetProperty("identities").EnumerateArray());
        Assert.Equal("kakao", identity.GetProperty("provider").GetString());
        Assert.Equal(user.Email, identity.GetProperty("email").GetString());
        Assert.Equal(user.Email, me.GetProperty("email").GetString());
        Assert.Equal(user.Name, me.GetProperty("nickname").GetString());
    }

    [Fact]
    public async Task A_kakao_user_without_an_email_is_still_one_member_found_by_provider_and_subject()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var user = _fixture.Kakao.NextUser with { Email = null };
        _fixture.Kakao.NextUser = user;
        using var first = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var member = AccessTokenSubject((await AssertTokenResponseAsync(first, HttpStatusCode.Created, true)).GetProperty("accessToken").GetString()!);

        _fixture.Kakao.NextUser = user;
        using var second = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var body = await AssertTokenResponseAsync(second, HttpStatusCode.OK, true);
        Assert.Equal(member, AccessTokenSubject(body.GetProperty("accessToken").GetString()!));
        var me = await GetMeAsync(client, body.GetProperty("accessToken").GetString()!);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, me.GetProperty("email").ValueKind);
    }

    [Fact]
    public async Task The_same_email_at_two_providers_makes_two_members_unless_linking_by_email_is_on()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var email = SocialFlowFixture.NewEmail("same");
        _fixture.Kakao.NextUser = SocialFlowFixture.NewKakaoUser(email);
        _fixture.Google.NextUser = _fixture.Google.NextUser with { Email = email, EmailVerified = true };
        using var kakao = await SocialFlowFixture.HandOffAsync(client, "kakao");
        using var google = await SocialFlowFixture.HandOffAsync(client, "google");
        var a = AccessTokenSubject((await AssertTokenResponseAsync(kakao, HttpStatusCode.Created, true)).GetProperty("accessToken").GetString()!);
        var googleBody = await AssertTokenResponseAsync(google, HttpStatusCode.Created, true);
        Assert.NotEqual(a, AccessTokenSubject(googleBody.GetProperty("accessToken").GetString()!));

        // The second member does not take the address: it belongs to the first.
        var me = await GetMeAsync(client, googleBody.GetProperty("accessToken").GetString()!);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, me.GetProperty("email").ValueKind);
        Assert.Equal(email, Assert.Single(me.GetProperty("identities").EnumerateArray()).GetProperty("email").GetString());
    }

    [Fact]
    public async Task Twenty_concurrent_first_logins_of_one_provider_account_end_as_one_member()
    {
        var user = _fixture.Kakao.NextUser;
        var callbacks = new List<AuthorizationCallback>();
        using var client = _fixture.Factory.CreateApiClient();
        for (var i = 0; i < 20; i++)
        {
            _fixture.Kakao.NextUser = user;
            callbacks.Add(await SocialFlowFixture.AuthorizeAsync(client, "kakao"));
        }

        var responses = await Task.WhenAll(callbacks.Select(c => SocialFlowFixture.LoginAsync(client, "kakao", c.Code, c.State)));
        var subjects = new HashSet<string>(StringComparer.Ordinal);
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
                subjects.Add(AccessTokenSubject((await ReadJsonAsync(response)).GetProperty("accessToken").GetString()!));
            }
        }

        Assert.Single(subjects);
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
    }

    [Fact]
    public async Task The_refresh_token_comes_in_the_cookie_by_default_and_refreshes()
    {
        using var browser = _fixture.Factory.CreateBrowser();
        var callback = await SocialFlowFixture.AuthorizeAsync(browser, "kakao");
        using var login = await browser.PostAsJsonAsync("/auth/login", new { provider = "kakao", code = callback.Code, state = callback.State }, Ct);
        await AssertTokenResponseAsync(login, HttpStatusCode.Created, refreshTokenInBody: false);
        AssertRefreshCookie(login);
        using var refresh = await browser.PostAsync("/auth/token", null, Ct);
        await AssertTokenResponseAsync(refresh, HttpStatusCode.OK, refreshTokenInBody: false);
    }

    [Fact]
    public async Task GET_auth_providers_lists_the_enabled_providers_and_their_flows()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var list = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/auth/providers", Ct);
        var names = list.EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("kakao", names);
        Assert.Contains("google", names);
        Assert.DoesNotContain("development", names);
        var kakao = list.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "kakao");
        Assert.False(string.IsNullOrWhiteSpace(kakao.GetProperty("displayName").GetString()));
        Assert.Equal(["handoff", "redirect"], kakao.GetProperty("flows").EnumerateArray().Select(f => f.GetString()!).ToArray());
    }

    [Fact]
    public async Task An_unknown_provider_is_a_400_unsupported_provider_at_every_route()
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var authorize = await client.PostAsJsonAsync("/auth/social/myspace/authorization", new { redirectUri = SocialFlowFixture.FrontendCallback }, Ct);
        await AssertProblemAsync(authorize, HttpStatusCode.BadRequest, "unsupported_provider");
        using var login = await SocialFlowFixture.LoginAsync(client, "myspace", "code", new string('a', 43));
        await AssertProblemAsync(login, HttpStatusCode.BadRequest, "unsupported_provider");
        using var start = await client.GetAsync("/auth/social/myspace/start", Ct);
        await AssertProblemAsync(start, HttpStatusCode.BadRequest, "unsupported_provider");
    }

    [Theory]
    [InlineData("//evil.example/callback")]
    [InlineData("/\\evil.example/callback")]
    [InlineData("https:evil.example/callback")]
    [InlineData("https://evil.example/callback")]
    [InlineData("https%3A%2F%2Fapp.example.test%2Fcallback")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://app.example.test:8443/callback")]
    [InlineData("http://app.example.test/callback")]
    [InlineData("/callback")]
    [InlineData("")]
    public async Task A_redirectUri_off_the_allowed_origins_is_refused_before_anything_is_stored(string redirectUri)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/auth/social/kakao/authorization", new { redirectUri }, Ct);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_redirect_uri");
    }

    [Fact]
    public async Task The_authorization_url_carries_state_PKCE_S256_and_for_OpenID_Connect_a_nonce()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var (url, state) = await SocialFlowFixture.BeginAsync(client, "google");
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query);
        Assert.StartsWith(_fixture.Google.Issuer, url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(state, query["state"].ToString());
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", query["code_challenge"].ToString());
        Assert.False(string.IsNullOrEmpty(query["nonce"].ToString()));
        Assert.Equal(SocialFlowFixture.FrontendCallback, query["redirect_uri"].ToString());
        Assert.Equal("code", query["response_type"].ToString());
    }

    internal static string AccessTokenSubject(string accessToken) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken).Subject;

    internal static async Task<System.Text.Json.JsonElement> GetMeAsync(HttpClient client, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/members/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }
}
