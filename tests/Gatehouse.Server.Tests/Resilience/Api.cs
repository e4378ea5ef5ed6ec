using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>What a client sees of one answer: status, body, the headers that matter here, and how long it took.</summary>
internal sealed class ApiResponse
{
    private JsonElement? _json;

    public required HttpStatusCode Status { get; init; }

    public required string Body { get; init; }

    public string? ContentType { get; init; }

    public string? RetryAfter { get; init; }

    public IReadOnlyList<string> SetCookies { get; init; } = [];

    public TimeSpan Elapsed { get; init; }

    public JsonElement Json => _json ??= Body.Length == 0 ? default : JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>The stable <c>error</c> code of a problem-details answer.</summary>
    public string? Error => Property("error");

    public string? AccessToken => Property("accessToken");

    public string? RefreshToken => Property("refreshToken");

    public long? RefreshExpiresIn => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("refreshExpiresIn", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    /// <summary>The value the refresh cookie was set to by this answer, or null when it was not set.</summary>
    public string? RefreshCookie
    {
        get
        {
            foreach (var header in SetCookies)
            {
                const string prefix = "gh_refresh=";
                if (header.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var end = header.IndexOf(';', StringComparison.Ordinal);
                    return end < 0 ? header[prefix.Length..] : header[prefix.Length..end];
                }
            }

            return null;
        }
    }

    public string? Property(string name)
    {
        try
        {
            return Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => $"{(int)Status} {Status} in {Elapsed.TotalMilliseconds:F0} ms: {(Body.Length > 600 ? Body[..600] + "…" : Body)}";
}

/// <summary>The calls the resilience tests make, as a client would make them.</summary>
internal static class Api
{
    public const string Password = "correct horse battery staple";

    public static async Task<ApiResponse> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        using (request)
        using (var response = await client.SendAsync(request, cancellationToken))
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            stopwatch.Stop();
            return new ApiResponse
            {
                Status = response.StatusCode,
                Body = body,
                ContentType = response.Content.Headers.ContentType?.MediaType,
                RetryAfter = response.Headers.TryGetValues("Retry-After", out var retry) ? retry.FirstOrDefault() : null,
                SetCookies = response.Headers.TryGetValues("Set-Cookie", out var cookies) ? [.. cookies] : [],
                Elapsed = stopwatch.Elapsed,
            };
        }
    }

    public static Task<ApiResponse> PostJsonAsync(HttpClient client, string path, object body, string? bearer = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return SendAsync(client, request, cancellationToken);
    }

    public static Task<ApiResponse> GetAsync(HttpClient client, string path, string? bearer = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return SendAsync(client, request, cancellationToken);
    }

    /// <summary><c>POST /auth/token {refreshToken}</c>, as a native app refreshes.</summary>
    public static Task<ApiResponse> RefreshAsync(HttpClient client, string refreshToken, CancellationToken cancellationToken = default) =>
        PostJsonAsync(client, "/auth/token", new { refreshToken }, cancellationToken: cancellationToken);

    /// <summary><c>POST /auth/token</c> with no body: the refresh cookie (a browser tab).</summary>
    public static Task<ApiResponse> RefreshWithCookieAsync(HttpClient client, CancellationToken cancellationToken = default) =>
        SendAsync(client, new HttpRequestMessage(HttpMethod.Post, "/auth/token"), cancellationToken);

    /// <summary>A password login that asks for the refresh token in the body.</summary>
    public static Task<ApiResponse> LoginAsync(HttpClient client, string email, string password = Password, CancellationToken cancellationToken = default) =>
        PostJsonAsync(client, "/auth/login", new { provider = "password", email, password, refreshTokenDelivery = "body" }, cancellationToken: cancellationToken);

    public static Task<ApiResponse> SignupAsync(HttpClient client, string email, string password = Password, string? delivery = "body", CancellationToken cancellationToken = default) =>
        delivery is null
            ? PostJsonAsync(client, "/auth/signup", new { email, password, nickname = "Resilient" }, cancellationToken: cancellationToken)
            : PostJsonAsync(client, "/auth/signup", new { email, password, nickname = "Resilient", refreshTokenDelivery = delivery }, cancellationToken: cancellationToken);

    public static Task<ApiResponse> MeAsync(HttpClient client, string accessToken, CancellationToken cancellationToken = default) =>
        GetAsync(client, "/members/me", accessToken, cancellationToken);

    public static Task<ApiResponse> RotateKeyAsync(HttpClient client, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/keys/rotate");
        request.Headers.Authorization = new AuthenticationHeaderValue("AdminKey", GatehouseFactory.AdminKey);
        return SendAsync(client, request, cancellationToken);
    }

    /// <summary>The signing keys as <c>GET /admin/keys</c> lists them.</summary>
    public static async Task<IReadOnlyList<KeyInfo>> AdminKeysAsync(HttpClient client, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("AdminKey", GatehouseFactory.AdminKey);
        var response = await SendAsync(client, request, cancellationToken);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET /admin/keys: {response}");
        return [.. response.Json.EnumerateArray().Select(KeyInfo.From)];
    }

    /// <summary>The <c>kid</c>s of <c>/.well-known/jwks.json</c>, sorted.</summary>
    public static async Task<IReadOnlyList<string>> JwksKidsAsync(HttpClient client, CancellationToken cancellationToken = default)
    {
        var response = await GetAsync(client, "/.well-known/jwks.json", cancellationToken: cancellationToken);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET /.well-known/jwks.json: {response}");
        return [.. response.Json.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>The JWKS members by kid (public parameters only).</summary>
    public static async Task<IReadOnlyDictionary<string, JsonElement>> JwksAsync(HttpClient client, CancellationToken cancellationToken = default)
    {
        var response = await GetAsync(client, "/.well-known/jwks.json", cancellationToken: cancellationToken);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET /.well-known/jwks.json: {response}");
        return response.Json.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("kid").GetString()!, k => k.Clone(), StringComparer.Ordinal);
    }

    /// <summary>The <c>kid</c> in a JWT's header.</summary>
    public static string Kid(string jwt) => new JsonWebToken(jwt).Kid;

    public static DateTimeOffset Expires(string jwt) => new(new JsonWebToken(jwt).ValidTo, TimeSpan.Zero);

    public static string NewEmail() => "r" + Guid.NewGuid().ToString("N")[..12] + "@example.com";

    /// <summary>A fake clock that starts now (whole seconds), so Redis TTLs computed from it are sane.</summary>
    public static FakeTimeProvider NewClock() => new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    /// <summary>Creates, initializes and starts an in-memory host; disposes it if it cannot start.</summary>
    public static async Task<GatehouseFactory> StartAsync(Action<IDictionary<string, string?>>? configure = null, FakeTimeProvider? time = null)
    {
        var factory = new GatehouseFactory(configure, time);
        try
        {
            await factory.InitializeAsync();
            _ = factory.Services;
            return factory;
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value <paramref name="done"/> accepts, or the deadline passes; returns the last value.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null, Action? between = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value) || deadline.Elapsed > timeout)
            {
                return value;
            }

            between?.Invoke();
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }
}

/// <summary>One entry of <c>GET /admin/keys</c>.</summary>
internal sealed record KeyInfo(string Kid, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt, DateTimeOffset? ExpiresAt)
{
    public static KeyInfo From(JsonElement e) => new(
        e.GetProperty("kid").GetString()!,
        e.GetProperty("createdAt").GetDateTimeOffset(),
        e.GetProperty("activatesAt").GetDateTimeOffset(),
        e.TryGetProperty("retiresAt", out var r) && r.ValueKind == JsonValueKind.String ? r.GetDateTimeOffset() : null,
        e.TryGetProperty("expiresAt", out var x) && x.ValueKind == JsonValueKind.String ? x.GetDateTimeOffset() : null);
}
