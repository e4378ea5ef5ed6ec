using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Gatehouse.Server.Tests.Http;

/// <summary>What the HTTP tests share: reading problem bodies, the refresh cookie and access tokens as a client would.</summary>
internal static class HttpTestHelpers
{
    public const string CookieName = "gh_refresh";
    public const string Password = "correct horse battery staple";
    public const string AllowedOrigin = "https://app.example.test";
    public const string EvilOrigin = "https://evil.example";
    public const long AccessTokenSeconds = 15 * 60;
    public const long IdleSeconds = 14 * 24 * 60 * 60;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string NewEmail(string prefix = "m") => prefix + Guid.NewGuid().ToString("N")[..12] + "@example.com";

    /// <summary>64 random bytes in base64url: the shape of a refresh token (86 characters), but not one this server issued.</summary>
    public static string RandomRefreshShapedToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(64));

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"Expected JSON from {(int)response.StatusCode}, got: {Truncate(text)} ({e.Message})");
        }
    }

    /// <summary>Asserts an RFC 9457 problem: the status, <c>application/problem+json</c>, and the stable <c>error</c> code.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {error}, got {(int)response.StatusCode}: {Truncate(text)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await ReadJsonAsync(response);
        Assert.True(body.TryGetProperty("error", out var code), $"No 'error' member in: {Truncate(text)}");
        Assert.Equal(error, code.GetString());
        if (body.TryGetProperty("status", out var statusMember))
        {
            Assert.Equal((int)status, statusMember.GetInt32());
        }

        return body;
    }

    /// <summary>A 400 validation problem whose <c>errors</c> object names <paramref name="field"/> with at least one message.</summary>
    public static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(body.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object, $"No 'errors' object in: {body}");
        Assert.True(errors.TryGetProperty(field, out var messages), $"'errors' does not name '{field}': {errors}");
        Assert.Equal(JsonValueKind.Array, messages.ValueKind);
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
    }

    /// <summary>Asserts a token response (<c>{accessToken, tokenType, expiresIn, refreshExpiresIn[, refreshToken]}</c>) and returns it.</summary>
    public static async Task<JsonElement> AssertTokenResponseAsync(HttpResponseMessage response, HttpStatusCode status, bool refreshTokenInBody)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {Truncate(text)}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"Token responses must be Cache-Control: no-store; got '{response.Headers.CacheControl}'.");
        var body = await ReadJsonAsync(response);
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(3, body.GetProperty("accessToken").GetString()!.Split('.').Length);
        Assert.InRange(body.GetProperty("expiresIn").GetInt64(), AccessTokenSeconds - 2, AccessTokenSeconds);
        Assert.InRange(body.GetProperty("refreshExpiresIn").GetInt64(), IdleSeconds - 5, IdleSeconds);
        if (refreshTokenInBody)
        {
            Assert.Matches("^[A-Za-z0-9_-]{86}$", body.GetProperty("refreshToken").GetString());
            Assert.False(response.Headers.Contains("Set-Cookie"), "A refresh token delivered in the body must not also be set as a cookie.");
        }
        else
        {
            // No token in the body when the cookie carries it (whether the member is absent or null is asserted by
            // SignupTests.Cookie_delivery_answers_carry_no_refreshToken_member, so that it fails alone).
            Assert.True(
                !body.TryGetProperty("refreshToken", out var member) || member.ValueKind == JsonValueKind.Null,
                $"The body must not carry a refresh token when it travels in the cookie; it has refreshToken = {member}.");
        }

        return body;
    }

    /// <summary>The <c>gh_refresh</c> Set-Cookie of a response, parsed into name, value and attributes (lower-cased names).</summary>
    public static SetCookie? FindRefreshCookie(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return null;
        }

        var cookies = values.Select(SetCookie.Parse).Where(c => c.Name == CookieName).ToList();
        Assert.True(cookies.Count <= 1, "More than one gh_refresh Set-Cookie: " + string.Join(" | ", values));
        return cookies.SingleOrDefault();
    }

    /// <summary>Asserts the refresh cookie a login, sign-up or refresh sets, and returns its value (the refresh token).</summary>
    public static string AssertRefreshCookie(HttpResponseMessage response)
    {
        var cookie = FindRefreshCookie(response) ?? throw new Xunit.Sdk.XunitException("No gh_refresh Set-Cookie on the response.");
        Assert.Matches("^[A-Za-z0-9_-]{86}$", cookie.Value);
        Assert.Equal("/auth", cookie.Attribute("path"));
        Assert.True(cookie.Has("secure"), "The refresh cookie must be Secure: " + cookie.Raw);
        Assert.True(cookie.Has("httponly"), "The refresh cookie must be HttpOnly: " + cookie.Raw);
        Assert.Equal("strict", cookie.Attribute("samesite"), StringComparer.OrdinalIgnoreCase);
        var maxAge = long.Parse(cookie.Attribute("max-age") ?? throw new Xunit.Sdk.XunitException("No Max-Age: " + cookie.Raw), CultureInfo.InvariantCulture);
        // The exact value (the 14-day idle lifetime) is asserted by SignupTests.The_refresh_cookie_lives_exactly_the_idle_lifetime.
        Assert.InRange(maxAge, IdleSeconds - 5, IdleSeconds);
        return cookie.Value;
    }

    /// <summary>Asserts the response tells the browser to drop the refresh cookie (same path, expiry in the past or Max-Age 0).</summary>
    public static void AssertRefreshCookieCleared(HttpResponseMessage response)
    {
        var cookie = FindRefreshCookie(response) ?? throw new Xunit.Sdk.XunitException("No gh_refresh Set-Cookie: the cookie is not cleared.");
        Assert.Equal("/auth", cookie.Attribute("path"));
        var maxAge = cookie.Attribute("max-age");
        var expires = cookie.Attribute("expires");
        var expired = (maxAge is not null && long.Parse(maxAge, CultureInfo.InvariantCulture) <= 0)
            || (expires is not null && DateTimeOffset.Parse(expires, CultureInfo.InvariantCulture) < DateTimeOffset.UtcNow);
        Assert.True(expired, "The clearing cookie must have Max-Age=0 or an expiry in the past: " + cookie.Raw);
        Assert.True(string.IsNullOrEmpty(cookie.Value) || cookie.Value.Length != 86, "The clearing cookie must not carry a token: " + cookie.Raw);
    }

    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password = Password, bool body = true, string? provider = "password") =>
        client.PostAsJsonAsync("/auth/login", body
            ? new Dictionary<string, string?> { ["provider"] = provider, ["email"] = email, ["password"] = password, ["refreshTokenDelivery"] = "body" }
            : new Dictionary<string, string?> { ["provider"] = provider, ["email"] = email, ["password"] = password }, Ct);

    /// <summary>Logs in with the refresh token in the body and returns the tokens (fails the test otherwise).</summary>
    public static async Task<TokenBody> LoginForTokensAsync(HttpClient client, string email, string password = Password)
    {
        using var response = await LoginAsync(client, email, password);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Login failed: {(int)response.StatusCode} {Truncate(text)}");
        return (await response.Content.ReadFromJsonAsync<TokenBody>(Ct))!;
    }

    public static Task<HttpResponseMessage> RefreshWithBodyAsync(HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("/auth/token", new { refreshToken }, Ct);

    /// <summary>Asserts the refresh token is refused (the session is over, or the token is not genuine).</summary>
    public static async Task AssertRefreshFailsAsync(HttpClient client, string refreshToken)
    {
        using var response = await RefreshWithBodyAsync(client, refreshToken);
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_grant");
    }

    /// <summary>Asserts the refresh token is accepted, and returns its successor.</summary>
    public static async Task<string> AssertRefreshWorksAsync(HttpClient client, string refreshToken)
    {
        using var response = await RefreshWithBodyAsync(client, refreshToken);
        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: true);
        return body.GetProperty("refreshToken").GetString()!;
    }

    public static HttpRequestMessage Bearer(HttpMethod method, string path, string accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    public static async Task<HttpResponseMessage> SendBearerAsync(HttpClient client, HttpMethod method, string path, string accessToken)
    {
        using var request = Bearer(method, path, accessToken);
        return await client.SendAsync(request, Ct);
    }

    public static JsonWebToken ReadJwt(string accessToken) => new(accessToken);

    public static string Claim(string accessToken, string name) => ReadJwt(accessToken).GetClaim(name).Value;

    public static string Truncate(string text) => text.Length <= 600 ? text : text[..600] + "…";
}

/// <summary>One Set-Cookie header as a client reads it: attribute names compared case-insensitively.</summary>
internal sealed record SetCookie(string Raw, string Name, string Value, IReadOnlyDictionary<string, string?> Attributes)
{
    public static SetCookie Parse(string header)
    {
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        var nameValue = parts[0].Split('=', 2);
        var attributes = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1).Where(p => p.Length > 0))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            attributes[pair[0]] = pair.Length == 2 ? pair[1] : null;
        }

        return new SetCookie(header, nameValue[0].Trim(), nameValue.Length == 2 ? nameValue[1].Trim() : "", attributes);
    }

    public bool Has(string attribute) => Attributes.ContainsKey(attribute);

    public string? Attribute(string attribute) => Attributes.TryGetValue(attribute, out var value) ? value : null;
}
