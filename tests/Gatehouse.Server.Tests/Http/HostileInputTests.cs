using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// Bodies, routes and methods nobody should send: each gets a 4xx problem with an <c>error</c> code, never a 500, and
/// the host keeps serving (a normal login works after each). Size limits that only a real server enforces are in
/// <see cref="KestrelLimitsTests"/>; forged access tokens in <see cref="HostileBearerTokenTests"/>.
/// </summary>
public sealed class HostileInputTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFixture _fixture;

    public HostileInputTests(GatehouseFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string, string> JsonEndpoints() => new()
    {
        { "POST", "/auth/signup" },
        { "POST", "/auth/login" },
        { "POST", "/auth/token" },
        { "POST", "/auth/logout" },
        { "PATCH", "/members/me" },
    };

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task Malformed_JSON_is_400_validation_failed(string method, string path)
    {
        foreach (var json in new[] { "{\"email\":", "{'email': 'single quotes'}", "{\"a\":1,}", "nul", "\"\\uZZZZ\"", new string('[', 5000) + new string(']', 5000) })
        {
            using var response = await SendAsync(method, path, json);

            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        }

        await AssertStillServingAsync();
    }

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task JSON_of_the_wrong_types_is_400(string method, string path)
    {
        foreach (var json in new[] { "{\"email\": 5, \"password\": [], \"refreshToken\": {}, \"nickname\": true}", "[1, 2, 3]", "\"a string\"", "42" })
        {
            using var response = await SendAsync(method, path, json);

            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        }

        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/auth/signup")]
    [InlineData("/auth/login")]
    public async Task An_empty_JSON_body_is_400(string path)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var content = new StringContent("", Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(path, content, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/auth/signup")]
    [InlineData("/auth/login")]
    public async Task No_body_and_no_content_type_is_a_4xx_problem(string path)
    {
        using var client = _fixture.Factory.CreateApiClient();

        using var response = await client.PostAsync(path, null, Ct);

        await AssertClientErrorProblemAsync(response, HttpStatusCode.BadRequest, HttpStatusCode.UnsupportedMediaType);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/auth/signup", "text/plain")]
    [InlineData("/auth/login", "application/x-www-form-urlencoded")]
    [InlineData("/auth/login", "multipart/form-data; boundary=x")]
    public async Task A_body_that_is_not_JSON_is_415_or_400(string path, string contentType)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var content = new StringContent("email=a%40example.com&password=whatever", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync(path, content, Ct);

        await AssertClientErrorProblemAsync(response, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.BadRequest);
        await AssertStillServingAsync();
    }

    public static TheoryData<string> UndecodableJsonCharsets() => new()
    {
        "application/json; charset=\"utf-8\"",
        "application/json; charset=nope",
        "application/json; charset=\"nope\"",
        "application/json; charset=",
        "application/json; charset=UTF8",
        "application/json; charset=utf-7",
        "application/problem+json; charset=nope",
    };

    /// <summary>
    /// RFC 8259 defines no charset for JSON. Each of these was a 500: ASP.NET Core's JSON reading hands the name to
    /// Encoding.GetEncoding as written, the quotes of a quoted "utf-8" included. Now the body is read as UTF-8 and the
    /// whole session works as with plain application/json; the nickname's "ë" shows that it was decoded as UTF-8.
    /// </summary>
    [Theory]
    [MemberData(nameof(UndecodableJsonCharsets))]
    public async Task A_JSON_charset_that_cannot_be_decoded_is_read_as_UTF_8(string contentType)
    {
        using var client = _fixture.Factory.CreateApiClient();
        var email = NewEmail("charset");
        using var signup = await PostRawAsync(client, HttpMethod.Post, "/auth/signup", contentType, Encoding.UTF8.GetBytes($$"""{"email":"{{email}}","password":"{{Password}}","nickname":"Zoë","refreshTokenDelivery":"body"}"""));
        await AssertTokenResponseAsync(signup, HttpStatusCode.Created, refreshTokenInBody: true);

        using var login = await PostRawAsync(client, HttpMethod.Post, "/auth/login", contentType, Encoding.UTF8.GetBytes($$"""{"provider":"password","email":"{{email}}","password":"{{Password}}","refreshTokenDelivery":"body"}"""));
        var tokens = await AssertTokenResponseAsync(login, HttpStatusCode.OK, refreshTokenInBody: true);
        var accessToken = tokens.GetProperty("accessToken").GetString()!;

        using var refresh = await PostRawAsync(client, HttpMethod.Post, "/auth/token", contentType, Encoding.UTF8.GetBytes($$"""{"refreshToken":"{{tokens.GetProperty("refreshToken").GetString()}}"}"""));
        var refreshed = await AssertTokenResponseAsync(refresh, HttpStatusCode.OK, refreshTokenInBody: true);

        using var garbage = await PostRawAsync(client, HttpMethod.Post, "/auth/token", contentType, Encoding.UTF8.GetBytes($$"""{"refreshToken":"{{RandomRefreshShapedToken()}}"}"""));
        await AssertProblemAsync(garbage, HttpStatusCode.Unauthorized, "invalid_grant");

        using var rename = await PostRawAsync(client, HttpMethod.Patch, "/members/me", contentType, Encoding.UTF8.GetBytes("""{"nickname":"Zoë Ü"}"""), accessToken);
        Assert.True(rename.StatusCode == HttpStatusCode.OK, $"PATCH /members/me: {(int)rename.StatusCode} {Truncate(await rename.Content.ReadAsStringAsync(Ct))}");
        Assert.Equal("Zoë Ü", (await ReadJsonAsync(rename)).GetProperty("nickname").GetString());

        using var logout = await PostRawAsync(client, HttpMethod.Post, "/auth/logout", contentType, Encoding.UTF8.GetBytes($$"""{"refreshToken":"{{refreshed.GetProperty("refreshToken").GetString()}}"}"""));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        // A body that is not UTF-8 under such a charset is what it is: not JSON, a 400.
        using var latin1 = await PostRawAsync(client, HttpMethod.Post, "/auth/login", contentType, Encoding.Latin1.GetBytes($$"""{"provider":"password","email":"{{email}}","password":"Zoë"}"""));
        await AssertProblemAsync(latin1, HttpStatusCode.BadRequest, "validation_failed");
        await AssertStillServingAsync();
    }

    /// <summary>A charset .NET decodes is still honoured, quoted or not: the body is transcoded, as before.</summary>
    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=\"UTF-16\"")]
    public async Task A_JSON_charset_that_can_be_decoded_is_honoured(string contentType)
    {
        using var client = _fixture.Factory.CreateApiClient();
        var email = NewEmail("utf16");
        using var signup = await PostRawAsync(client, HttpMethod.Post, "/auth/signup", contentType, Encoding.Unicode.GetBytes($$"""{"email":"{{email}}","password":"{{Password}}","nickname":"Zoë","refreshTokenDelivery":"body"}"""));
        var tokens = await AssertTokenResponseAsync(signup, HttpStatusCode.Created, refreshTokenInBody: true);

        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", tokens.GetProperty("accessToken").GetString()!);
        Assert.Equal("Zoë", (await ReadJsonAsync(me)).GetProperty("nickname").GetString());
    }

    private static async Task<HttpResponseMessage> PostRawAsync(HttpClient client, HttpMethod method, string path, string contentType, byte[] body, string? accessToken = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return await client.SendAsync(request, Ct);
    }

    /// <summary>
    /// Errors are problem details whatever the client accepts: with an Accept that named no JSON type, status-code pages
    /// answered "Status Code: 400; Bad Request" as plain text, without an error code.
    /// </summary>
    [Theory]
    [InlineData("text/html")]
    [InlineData("image/png")]
    [InlineData("application/xml, text/plain;q=0.5")]
    public async Task Errors_are_problem_details_whatever_the_client_accepts(string accept)
    {
        using var client = _fixture.Factory.CreateApiClient();
        client.DefaultRequestHeaders.Accept.ParseAdd(accept);

        using (var malformed = await client.PostAsync("/auth/login", new StringContent("{\"email\":", Encoding.UTF8, "application/json"), Ct))
        {
            await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "validation_failed");
        }

        using (var notJson = await client.PostAsync("/auth/signup", new StringContent("email=a", Encoding.UTF8, "text/plain"), Ct))
        {
            await AssertProblemAsync(notJson, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        }

        using (var missing = await client.GetAsync("/auth/nope", Ct))
        {
            await AssertProblemAsync(missing, HttpStatusCode.NotFound, "not_found");
        }

        using (var wrongMethod = await client.PutAsync("/auth/login", null, Ct))
        {
            await AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        }

        using (var garbage = await client.PostAsync("/auth/token", JsonBody(new { refreshToken = RandomRefreshShapedToken() }), Ct))
        {
            await AssertProblemAsync(garbage, HttpStatusCode.Unauthorized, "invalid_grant");
        }
    }

    [Fact]
    public async Task A_1_MB_JSON_body_never_causes_a_500()
    {
        // The in-memory test server enforces no body limit; the 413 itself is asserted on Kestrel (KestrelLimitsTests).
        var json = "{\"email\":\"" + new string('a', 1024 * 1024) + "@example.com\",\"password\":\"x\"}";
        foreach (var (method, path) in new[] { ("POST", "/auth/login"), ("POST", "/auth/token") })
        {
            using var response = await SendAsync(method, path, json);

            Assert.InRange((int)response.StatusCode, 400, 499);
        }

        await AssertStillServingAsync();
    }

    public static TheoryData<string?, string?> OddCredentials() => new()
    {
        { "\u0000@example.com", "whatever passphrase" },
        { new string('a', 10_000) + "@example.com", "whatever passphrase" },
        { "a@example.com", new string('p', 100_000) },
        { "😀@例え.テスト", "😀😀😀😀😀😀😀😀" },
        { "\ud800@example.com", "lone surrogate \ud800" },
        { "' OR 1=1 --@example.com", "' OR '1'='1" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(OddCredentials))]
    public async Task Odd_credentials_are_refused_without_a_500(string? email, string? password)
    {
        using var client = _fixture.Factory.CreateApiClient();

        using var login = await LoginAsync(client, email!, password!);
        using var signup = await client.PostAsync("/auth/signup", JsonBody(new { email, password, nickname = "Odd" }), Ct);

        // None of these accounts exists, so the login is refused; a sign-up may even succeed (a Unicode address is valid).
        Assert.True((int)login.StatusCode is >= 400 and < 500, $"Login answered {(int)login.StatusCode}: {Truncate(await login.Content.ReadAsStringAsync(Ct))}");
        Assert.True((int)signup.StatusCode is >= 200 and < 500, $"Sign-up answered {(int)signup.StatusCode}: {Truncate(await signup.Content.ReadAsStringAsync(Ct))}");
        Assert.NotNull((await ReadJsonAsync(login)).GetProperty("error").GetString());
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/auth/nope")]
    [InlineData("/members/someone-else")]
    [InlineData("/.well-known/nope")]
    public async Task An_unknown_route_is_404_not_found(string path)
    {
        using var client = _fixture.Factory.CreateApiClient();

        using var response = await client.GetAsync(path, Ct);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("GET", "/auth/login")]
    [InlineData("PUT", "/auth/signup")]
    [InlineData("PUT", "/members/me")]
    [InlineData("POST", "/.well-known/jwks.json")]
    public async Task A_wrong_method_is_405_method_not_allowed(string method, string path)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string json)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (path.StartsWith("/members", StringComparison.Ordinal))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _fixture.Member.AccessToken);
        }

        return await client.SendAsync(request, Ct);
    }

    private static StringContent JsonBody(object value) =>
        new(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static async Task AssertClientErrorProblemAsync(HttpResponseMessage response, params HttpStatusCode[] allowed)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(allowed.Contains(response.StatusCode), $"Expected {string.Join(" or ", allowed.Select(s => (int)s))}, got {(int)response.StatusCode}: {Truncate(text)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty((await ReadJsonAsync(response)).GetProperty("error").GetString()));
    }

    private async Task AssertStillServingAsync()
    {
        using var client = _fixture.Factory.CreateApiClient();
        await LoginForTokensAsync(client, _fixture.Member.Email);
    }
}
