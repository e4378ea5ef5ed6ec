using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gatehouse.Core.Tokens;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Social.Development;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The development provider over HTTP, as the <c>development</c> preset and a developer's browser use it: the sign-in
/// page, its form, the token endpoint and the user resource, mapped alone on an in-memory host.
/// </summary>
public sealed partial class DevelopmentProviderTests : IAsyncLifetime
{
    private const string Gatehouse = "https://gatehouse.test";
    private const string Callback = Gatehouse + "/auth/social/development/callback";
    private const string Frontend = "https://app.example.test";
    private const string ClientId = "gatehouse-dev";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.Configure<FrontendOptions>(o => o.Origins.Add(Frontend));
        builder.Services.Configure<TokenOptions>(o => o.Issuer = Gatehouse);
        _app = builder.Build();
        _app.MapDevelopmentProvider();
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _client = _app.GetTestClient();
        _client.BaseAddress = new Uri(Gatehouse);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_authorize_page_asks_who_you_are_under_a_strict_content_security_policy()
    {
        var (_, challenge) = Pkce();
        using var response = await _client.GetAsync(AuthorizeUrl(challenge, state: "s<1>&\"'"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("<title>Development sign-in</title>", html, StringComparison.Ordinal);
        Assert.Contains("Who are you", html, StringComparison.Ordinal);
        Assert.Matches("name=\"subject\" value=\"dev-[0-9]{4}\"", html);
        Assert.Contains("Share my email", html, StringComparison.Ordinal);
        Assert.Contains("Email verified", html, StringComparison.Ordinal);
        Assert.Contains("only while Gatehouse runs in Development", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s<1>", html, StringComparison.Ordinal);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self' https://gatehouse.test", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        var nonce = Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.Contains($"<style nonce=\"{nonce}\">", html, StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Every_value_the_page_echoes_is_HTML_encoded()
    {
        var (_, challenge) = Pkce();
        var url = QueryHelpers.AddQueryString("/dev/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = "<img src=x onerror=alert(1)>",
            ["redirect_uri"] = Callback + "?next=\"><b>",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["scope"] = "openid </code><script>alert(1)</script>",
        });

        var html = await _client.GetStringAsync(url, TestContext.Current.CancellationToken);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\"><b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/cb")]
    [InlineData("//evil.example/cb")]
    [InlineData("/\\evil.example/cb")]
    [InlineData("https:evil.example/cb")]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://gatehouse.test/cb")]
    [InlineData("https://gatehouse.test:8443/cb")]
    [InlineData("http://gatehouse.test/cb")]
    [InlineData("https://user@gatehouse.test/cb")]
    [InlineData("https://gatehouse.test/cb#fragment")]
    [InlineData("https://app.example.test.evil.example/cb")]
    [InlineData("https://app.example.test\\@evil.example/cb")]
    [InlineData("https%3A%2F%2Fevil.example%2Fcb")]
    public async Task A_redirect_uri_off_the_allowed_origins_is_refused_on_the_page_without_redirecting(string redirectUri)
    {
        var (_, challenge) = Pkce();
        using var response = await _client.GetAsync(AuthorizeUrl(challenge, redirectUri: redirectUri), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("redirect_uri", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("response_type", "token")]
    [InlineData("client_id", null)]
    [InlineData("code_challenge", null)]
    [InlineData("code_challenge", "too-short")]
    [InlineData("code_challenge_method", "plain")]
    [InlineData("code_challenge_method", null)]
    public async Task A_malformed_authorization_request_is_answered_on_the_page_never_by_a_redirect(string parameter, string? value)
    {
        var (_, challenge) = Pkce();
        var query = AuthorizeParameters(challenge, "st");
        query[parameter] = value;
        using var response = await _client.GetAsync(QueryHelpers.AddQueryString("/dev/oauth/authorize", query.Where(p => p.Value is not null)), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(parameter, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_in_redirects_with_a_code_and_the_state_and_the_code_buys_the_user_once()
    {
        var (verifier, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "state-1");

        using var signIn = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-1234", "Ada Lovelace", "ada@example.test", share: true, verified: true));

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = signIn.Headers.Location!;
        Assert.Equal(Callback, location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("state-1", query["state"]);
        var code = query["code"].ToString();
        Assert.True(code.Length >= 43);

        using var token = await RedeemAsync(code, verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal("no-store", token.Headers.CacheControl?.ToString());
        var tokenBody = await ReadJsonAsync(token);
        Assert.Equal("Bearer", tokenBody.GetProperty("token_type").GetString());
        Assert.True(tokenBody.GetProperty("expires_in").GetInt64() > 0);

        var user = await UserInfoAsync(tokenBody.GetProperty("access_token").GetString()!);
        Assert.Equal("dev-1234", user.GetProperty("sub").GetString());
        Assert.Equal("ada@example.test", user.GetProperty("email").GetString());
        Assert.True(user.GetProperty("email_verified").GetBoolean());
        Assert.Equal("Ada Lovelace", user.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, user.GetProperty("picture").ValueKind);

        using var replay = await RedeemAsync(code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(replay)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_email_not_shared_is_absent_from_the_user_and_not_verified()
    {
        var (verifier, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "st");
        using var signIn = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-5555", "", "kept@example.test", share: false, verified: true));
        using var token = await RedeemAsync(CodeOf(signIn), verifier);

        var user = await UserInfoAsync((await ReadJsonAsync(token)).GetProperty("access_token").GetString()!);

        Assert.Equal("dev-5555", user.GetProperty("sub").GetString());
        Assert.False(user.TryGetProperty("email", out _));
        Assert.False(user.GetProperty("email_verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, user.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task Cancel_redirects_with_access_denied_and_the_state()
    {
        var (_, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "st-cancel");

        using var cancel = await PostFormAsync("/dev/oauth/authorize", new() { ["request"] = request, ["action"] = "cancel" });

        Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
        var query = QueryHelpers.ParseQuery(cancel.Headers.Location!.Query);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal("st-cancel", query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task A_redirect_uri_with_a_query_keeps_it_and_gains_code_and_state()
    {
        var (_, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "st", Frontend + "/callback?from=dev");
        using var signIn = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-1", null, null, share: false, verified: false));

        var location = signIn.Headers.Location!;
        Assert.StartsWith(Frontend + "/callback?from=dev&", location.ToString(), StringComparison.Ordinal);
        Assert.Equal("st", QueryHelpers.ParseQuery(location.Query)["state"]);
    }

    [Fact]
    public async Task A_form_whose_signed_request_was_altered_or_has_expired_is_refused_without_redirecting()
    {
        var (_, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "st");
        var altered = request[..^2] + (request[^2] == 'A' ? "BA" : "AA");

        using var tampered = await PostFormAsync("/dev/oauth/authorize", SignInForm(altered, "dev-1", null, null, share: false, verified: false));
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Null(tampered.Headers.Location);

        // The payload swapped for another redirect_uri, keeping the tag: the tag no longer matches.
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(request.Split('.')[0])).Replace(Callback, "https://evil.example/cb", StringComparison.Ordinal);
        var swapped = Base64UrlEncode(Encoding.UTF8.GetBytes(payload)) + "." + request.Split('.')[1];
        using var swappedResponse = await PostFormAsync("/dev/oauth/authorize", SignInForm(swapped, "dev-1", null, null, share: false, verified: false));
        Assert.Equal(HttpStatusCode.BadRequest, swappedResponse.StatusCode);
        Assert.Null(swappedResponse.Headers.Location);

        _time.Advance(TimeSpan.FromMinutes(11));
        using var expired = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-1", null, null, share: false, verified: false));
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Null(expired.Headers.Location);
    }

    [Fact]
    public async Task A_shared_email_that_is_not_an_address_shows_the_form_again()
    {
        var (_, challenge) = Pkce();
        var request = await OpenPageAsync(challenge, "st");

        using var response = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-1", "Ada", "not an address", share: true, verified: true));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{request}\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"Ada\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verifier")]
    [InlineData("redirect_uri")]
    [InlineData("client_id")]
    public async Task A_code_is_refused_for_another_verifier_redirect_uri_or_client_and_is_spent_by_the_attempt(string wrong)
    {
        var (verifier, challenge) = Pkce();
        var code = await CodeAsync(challenge);

        using var refused = await RedeemAsync(
            code,
            wrong == "verifier" ? Pkce().Verifier : verifier,
            wrong == "redirect_uri" ? Callback + "/other" : Callback,
            wrong == "client_id" ? "another-client" : ClientId);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(refused)).GetProperty("error").GetString());

        using var retried = await RedeemAsync(code, verifier);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(retried)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_code_expires_after_sixty_seconds()
    {
        var (verifier, challenge) = Pkce();
        var code = await CodeAsync(challenge);

        _time.Advance(TimeSpan.FromSeconds(61));
        using var response = await RedeemAsync(code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_client_id_may_come_by_HTTP_Basic_with_an_empty_secret()
    {
        var (verifier, challenge) = Pkce();
        var code = await CodeAsync(challenge);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dev/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = Callback,
                ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientId + ":")));

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_token_endpoint_answers_RFC_6749_errors_as_JSON()
    {
        using var grant = await PostFormAsync("/dev/oauth/token", new() { ["grant_type"] = "client_credentials", ["client_id"] = ClientId });
        Assert.Equal(HttpStatusCode.BadRequest, grant.StatusCode);
        Assert.Equal("unsupported_grant_type", (await ReadJsonAsync(grant)).GetProperty("error").GetString());

        using var missing = await PostFormAsync("/dev/oauth/token", new() { ["grant_type"] = "authorization_code", ["client_id"] = ClientId, ["redirect_uri"] = Callback, ["code_verifier"] = Pkce().Verifier });
        Assert.Equal("invalid_request", (await ReadJsonAsync(missing)).GetProperty("error").GetString());

        using var badVerifier = await PostFormAsync("/dev/oauth/token", new() { ["grant_type"] = "authorization_code", ["code"] = "x", ["client_id"] = ClientId, ["redirect_uri"] = Callback, ["code_verifier"] = "short" });
        Assert.Equal("invalid_request", (await ReadJsonAsync(badVerifier)).GetProperty("error").GetString());

        using var json = await _client.PostAsJsonAsync("/dev/oauth/token", new { grant_type = "authorization_code" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("invalid_request", (await ReadJsonAsync(json)).GetProperty("error").GetString());

        using var unknown = await RedeemAsync("no-such-code", Pkce().Verifier);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(unknown)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_user_resource_wants_a_live_bearer_token()
    {
        using var anonymous = await _client.GetAsync("/dev/oauth/userinfo", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var challenge = anonymous.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error=", challenge.Parameter, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dev/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var unknown = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains("error=\"invalid_token\"", unknown.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);

        var (verifier, pkceChallenge) = Pkce();
        using var token = await RedeemAsync(await CodeAsync(pkceChallenge), verifier);
        var accessToken = (await ReadJsonAsync(token)).GetProperty("access_token").GetString()!;
        _time.Advance(TimeSpan.FromMinutes(11));
        using var expiredRequest = new HttpRequestMessage(HttpMethod.Get, "/dev/oauth/userinfo");
        expiredRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var expired = await _client.SendAsync(expiredRequest, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static Dictionary<string, string?> AuthorizeParameters(string challenge, string? state, string redirectUri = Callback) => new()
    {
        ["response_type"] = "code",
        ["client_id"] = ClientId,
        ["redirect_uri"] = redirectUri,
        ["state"] = state,
        ["code_challenge"] = challenge,
        ["code_challenge_method"] = "S256",
        ["scope"] = "profile email",
    };

    private static string AuthorizeUrl(string challenge, string? state = "st", string redirectUri = Callback) =>
        QueryHelpers.AddQueryString("/dev/oauth/authorize", AuthorizeParameters(challenge, state, redirectUri));

    /// <summary>Opens the sign-in page and returns the signed request its form carries.</summary>
    private async Task<string> OpenPageAsync(string challenge, string state, string redirectUri = Callback)
    {
        var html = await _client.GetStringAsync(AuthorizeUrl(challenge, state, redirectUri), TestContext.Current.CancellationToken);
        return HiddenRequest().Match(html).Groups[1].Value;
    }

    private async Task<string> CodeAsync(string challenge)
    {
        var request = await OpenPageAsync(challenge, "st");
        using var signIn = await PostFormAsync("/dev/oauth/authorize", SignInForm(request, "dev-42", "Dev", "dev@example.test", share: true, verified: true));
        return CodeOf(signIn);
    }

    private static string CodeOf(HttpResponseMessage redirect) => QueryHelpers.ParseQuery(redirect.Headers.Location!.Query)["code"].ToString();

    private static Dictionary<string, string> SignInForm(string request, string subject, string? name, string? email, bool share, bool verified)
    {
        var form = new Dictionary<string, string> { ["request"] = request, ["action"] = "signin", ["subject"] = subject, ["name"] = name ?? "", ["email"] = email ?? "" };
        if (share)
        {
            form["share_email"] = "true";
        }

        if (verified)
        {
            form["email_verified"] = "true";
        }

        return form;
    }

    private Task<HttpResponseMessage> RedeemAsync(string code, string verifier, string redirectUri = Callback, string clientId = ClientId) =>
        PostFormAsync("/dev/oauth/token", new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        });

    private Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> form) =>
        _client.PostAsync(path, new FormUrlEncodedContent(form), TestContext.Current.CancellationToken);

    private async Task<JsonElement> UserInfoAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dev/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static byte[] Base64UrlDecode(string value) => System.Buffers.Text.Base64Url.DecodeFromChars(value);

    [GeneratedRegex("name=\"request\" value=\"([^\"]+)\"")]
    private static partial Regex HiddenRequest();
}
