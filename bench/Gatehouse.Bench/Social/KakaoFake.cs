using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Bench.Social;

/// <summary>
/// A small Kakao Login on loopback (Kestrel on 127.0.0.1), in Kakao's documented shapes: <c>GET /oauth/authorize</c>
/// answers 302 to <c>redirect_uri?code=…&amp;state=…</c> at once (the user "typed" who they are in the
/// <c>bench_user</c> parameter); <c>POST /oauth/token</c> (form) redeems a code once, checking client_id and
/// client_secret, the redirect_uri and the PKCE S256 verifier, and answers <c>{access_token, token_type,
/// expires_in, …}</c> after <see cref="TokenDelay"/>; <c>GET /v2/user/me</c> (Bearer) answers the user:
/// <c>{id: &lt;number&gt;, kakao_account: {email, is_email_verified, profile: {nickname}}}</c>.
/// Everything is kept in memory; a refusal is counted (<see cref="Refusals"/>), so a run that triggers any is invalid.
/// </summary>
internal sealed class KakaoFake : IAsyncDisposable
{
    public const string ClientId = "bench-kakao-rest-api-key";
    public const string ClientSecret = "bench-kakao-client-secret";

    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _accessTokens = new(StringComparer.Ordinal);
    private readonly WebApplication _app;
    private long _refusals;
    private long _tokenCalls;
    private long _userCalls;
    private int _tokenDelayMs;
    private string? _firstRefusal;

    private sealed record Grant(string RedirectUri, string Challenge, long User);

    private KakaoFake(WebApplication app, int port)
    {
        _app = app;
        Origin = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    public Uri Origin { get; }

    /// <summary>How long the token endpoint waits before it answers (the provider's latency); zero by default.</summary>
    public TimeSpan TokenDelay
    {
        get => TimeSpan.FromMilliseconds(Volatile.Read(ref _tokenDelayMs));
        set => Volatile.Write(ref _tokenDelayMs, (int)value.TotalMilliseconds);
    }

    public long Refusals => Interlocked.Read(ref _refusals);

    public string? FirstRefusal => Volatile.Read(ref _firstRefusal);

    public long TokenCalls => Interlocked.Read(ref _tokenCalls);

    public long UserCalls => Interlocked.Read(ref _userCalls);

    /// <summary>Codes issued and not redeemed: each completion must spend its own.</summary>
    public int OutstandingCodes => _codes.Count;

    public static async Task<KakaoFake> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var fake = new KakaoFake(app, port);
        app.MapGet("/oauth/authorize", fake.Authorize);
        app.MapPost("/oauth/token", fake.TokenAsync);
        app.MapGet("/v2/user/me", fake.UserAsync);
        await app.StartAsync();
        return fake;
    }

    // https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#request-code
    private Task Authorize(HttpContext context)
    {
        var q = context.Request.Query;
        if (q["response_type"] != "code" || q["client_id"] != ClientId || q["code_challenge_method"] != "S256"
            || string.IsNullOrEmpty(q["code_challenge"]) || string.IsNullOrEmpty(q["state"])
            || !Uri.TryCreate(q["redirect_uri"], UriKind.Absolute, out var redirect)
            || !long.TryParse(q["bench_user"], NumberStyles.None, CultureInfo.InvariantCulture, out var user))
        {
            return Refuse(context, 400, "invalid_request", $"authorize: bad query {context.Request.QueryString}");
        }

        var code = NewSecret();
        _codes[code] = new Grant(redirect.AbsoluteUri, q["code_challenge"]!, user);
        var separator = string.IsNullOrEmpty(redirect.Query) ? "?" : "&";
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = $"{redirect.AbsoluteUri}{separator}code={code}&state={Uri.EscapeDataString(q["state"]!)}";
        return Task.CompletedTask;
    }

    // https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#request-token
    private async Task TokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenCalls);
        if (!context.Request.HasFormContentType)
        {
            await Refuse(context, 400, "invalid_request", "token: not a form");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var delay = Volatile.Read(ref _tokenDelayMs);
        if (delay > 0)
        {
            await Task.Delay(delay, context.RequestAborted);
        }

        if (form["grant_type"] != "authorization_code")
        {
            await Refuse(context, 400, "unsupported_grant_type", "token: grant_type");
            return;
        }

        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            await Refuse(context, 401, "invalid_client", "token: client_id or client_secret");
            return;
        }

        // Single use: the code is gone whatever happens next.
        if (form["code"].ToString() is not { Length: > 0 } code || !_codes.TryRemove(code, out var grant))
        {
            await Refuse(context, 400, "invalid_grant", "token: unknown or used code");
            return;
        }

        if (form["redirect_uri"] != grant.RedirectUri)
        {
            await Refuse(context, 400, "invalid_grant", $"token: redirect_uri {form["redirect_uri"]} is not {grant.RedirectUri}");
            return;
        }

        var verifier = form["code_verifier"].ToString();
        if (verifier.Length is < 43 or > 128 || Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
        {
            await Refuse(context, 400, "invalid_grant", "token: PKCE verifier does not match the challenge");
            return;
        }

        var accessToken = NewSecret();
        _accessTokens[accessToken] = grant.User;
        context.Response.Headers.CacheControl = "no-store";
        await Json(context, w =>
        {
            w.WriteString("token_type", "bearer");
            w.WriteString("access_token", accessToken);
            w.WriteNumber("expires_in", 21599);
            w.WriteString("refresh_token", NewSecret());
            w.WriteNumber("refresh_token_expires_in", 5183999);
            w.WriteString("scope", "account_email profile_nickname");
        });
    }

    // https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#req-user-info
    private Task UserAsync(HttpContext context)
    {
        Interlocked.Increment(ref _userCalls);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryRemove(authorization[7..], out var user))
        {
            return Refuse(context, 401, "-401", "user: unknown access token");
        }

        var id = user.ToString(CultureInfo.InvariantCulture);
        return Json(context, w =>
        {
            w.WriteNumber("id", user);
            w.WriteString("connected_at", "2026-11-01T00:00:00Z");
            w.WriteStartObject("kakao_account");
            w.WriteBoolean("profile_nickname_needs_agreement", false);
            w.WriteStartObject("profile");
            w.WriteString("nickname", "Bench " + id);
            w.WriteBoolean("is_default_image", true);
            w.WriteEndObject();
            w.WriteBoolean("has_email", true);
            w.WriteBoolean("email_needs_agreement", false);
            w.WriteBoolean("is_email_valid", true);
            w.WriteBoolean("is_email_verified", true);
            w.WriteString("email", $"kakao{id}@bench.example");
            w.WriteEndObject();
        });
    }

    private Task Refuse(HttpContext context, int status, string error, string why)
    {
        Interlocked.Increment(ref _refusals);
        Interlocked.CompareExchange(ref _firstRefusal, why, null);
        return Json(context, w =>
        {
            w.WriteString("error", error);
            w.WriteString("error_description", why);
        }, status);
    }

    private static Task Json(HttpContext context, Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json;charset=UTF-8";
        response.ContentLength = buffer.Length;
        return response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).AsTask();
    }

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
