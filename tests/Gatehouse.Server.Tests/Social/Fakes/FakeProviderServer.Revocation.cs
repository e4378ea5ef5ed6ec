using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>What a revocation endpoint of the fake received (secrets included: tests assert them).</summary>
/// <param name="Authorization">The Authorization header as sent.</param>
/// <param name="Fields">The form fields, or the JSON body's members (GitHub).</param>
public sealed record FakeRevocation(string Method, string Path, string? Authorization, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// Each provider's way of ending a link, with its documented request and answer shapes: Kakao's unlink with the admin
/// key (<c>{"id"}</c>, or <c>{"msg", "code": -101}</c> for a user who is not linked), Naver's refresh and
/// <c>grant_type=delete</c> at its token endpoint (HTTP 200 either way), Google's and RFC 7009's revoke, Apple's
/// <c>/auth/revoke</c> with its client-secret JWT, GitHub's <c>DELETE /applications/{client_id}/grant</c> with HTTP
/// Basic (204; 404 when there is no such grant), Slack's <c>auth.revoke</c> (<c>{"ok": false}</c> on failure).
/// A revoked grant takes every token of that user with it.
/// </summary>
public sealed partial class FakeProviderServer
{
    private readonly ConcurrentDictionary<string, FakeUser> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessExpiry = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _kakaoLinked = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeRevocation> _revocations = new();
    private static readonly string[] MissingAccessToken = ["access_token wasn't supplied."];

    /// <summary>How long access tokens live (by <see cref="Time"/>); Naver's is an hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; }

    /// <summary>The revocation endpoint refuses with this error code, in the provider's style (Kakao: a numeric code).</summary>
    public string? RevocationError { get; set; }

    /// <summary>Requests its revocation endpoints received (Naver's refresh and delete included), in order.</summary>
    public IReadOnlyList<FakeRevocation> Revocations => [.. _revocations];

    /// <summary>Whether the user still has a grant here: a live token, or (Kakao) a link to the app.</summary>
    public bool HasGrant(string subject) =>
        Kind == FakeProviderKind.Kakao
            ? _kakaoLinked.ContainsKey(subject)
            : _accessTokens.Values.Concat(_refreshTokens.Values).Any(u => u.Subject == subject);

    private string RevocationPath => Kind switch
    {
        FakeProviderKind.Kakao => "/v1/user/unlink",
        FakeProviderKind.Naver => "/oauth2.0/token",
        FakeProviderKind.Google => "/revoke",
        FakeProviderKind.Apple => "/auth/revoke",
        FakeProviderKind.GitHub => $"/applications/{ClientId}/grant",
        FakeProviderKind.Slack => "/api/auth.revoke",
        FakeProviderKind.OpenIdConnect => "/revoke",
        FakeProviderKind.OAuth2 => "/oauth/revoke",
        _ => "/unused/revoke",
    };

    private string AccessTokenSeconds => ((long)AccessTokenLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A JWT like Apple's server-to-server notifications: iss, aud = the client id, iat, jti, and <c>events</c> as a
    /// JSON string ({type, sub, event_time}); addressed to <paramref name="audience"/> (default: the client id); broken as <paramref name="tampering"/> says.
    /// </summary>
    public string SignNotification(string type, string subject, IdTokenTampering tampering = IdTokenTampering.None, string? audience = null)
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new Dictionary<string, object?>
        {
            ["iss"] = tampering == IdTokenTampering.WrongIssuer ? "https://evil.test" : Issuer,
            ["aud"] = tampering == IdTokenTampering.WrongAudience ? "another-client" : audience ?? ClientId,
            ["iat"] = tampering == IdTokenTampering.Expired ? now - 7200 : now,
            ["exp"] = tampering == IdTokenTampering.Expired ? now - 3600 : now + 600,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["events"] = JsonSerializer.Serialize(new { type, sub = subject, event_time = now * 1000 }),
        };
        return _keys.Sign(claims, tampering);
    }

    private string IssueAccessToken(FakeUser user)
    {
        var token = Issue("at-");
        _accessTokens[token] = user;
        _accessExpiry[token] = Time.GetUtcNow() + AccessTokenLifetime;
        if (Kind == FakeProviderKind.Kakao)
        {
            _kakaoLinked[user.Subject] = true;
        }

        return token;
    }

    private string IssueRefreshToken(FakeUser user)
    {
        var token = Issue("rt-");
        _refreshTokens[token] = user;
        return token;
    }

    private FakeUser? LiveAccessToken(string? token) =>
        token is not null && _accessTokens.TryGetValue(token, out var user) && _accessExpiry.GetValueOrDefault(token) > Time.GetUtcNow() ? user : null;

    private FakeUser? AnyToken(string? token) =>
        token is null ? null : LiveAccessToken(token) ?? _refreshTokens.GetValueOrDefault(token);

    /// <summary>Ends the user's grant: every token of theirs stops working.</summary>
    private void RevokeGrant(FakeUser user)
    {
        foreach (var (token, owner) in _accessTokens)
        {
            if (owner.Subject == user.Subject)
            {
                _accessTokens.TryRemove(token, out _);
            }
        }

        foreach (var (token, owner) in _refreshTokens)
        {
            if (owner.Subject == user.Subject)
            {
                _refreshTokens.TryRemove(token, out _);
            }
        }
    }

    private void MapRevocation()
    {
        switch (Kind)
        {
            case FakeProviderKind.Kakao:
                _app.MapPost(RevocationPath, (Func<HttpContext, Task<IResult>>)KakaoUnlinkAsync);
                break;
            case FakeProviderKind.GitHub:
                _app.MapDelete(RevocationPath, (Func<HttpContext, Task<IResult>>)GitHubDeleteGrantAsync);
                break;
            case FakeProviderKind.Slack:
                _app.MapPost(RevocationPath, (Func<HttpContext, Task<IResult>>)SlackRevokeAsync);
                break;
            case FakeProviderKind.Google or FakeProviderKind.Apple or FakeProviderKind.OpenIdConnect or FakeProviderKind.OAuth2:
                _app.MapPost(RevocationPath, (Func<HttpContext, Task<IResult>>)RevokeAsync);
                break;
        }
    }

    private async Task<IFormCollection> RecordFormAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : FormCollection.Empty;
        Record(context, form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal));
        return form;
    }

    private void Record(HttpContext context, Dictionary<string, string> fields) =>
        _revocations.Enqueue(new FakeRevocation(context.Request.Method, context.Request.Path, context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null, fields));

    /// <summary>Kakao: <c>POST /v1/user/unlink</c>, <c>Authorization: KakaoAK {admin key}</c>, target_id_type=user_id.</summary>
    private async Task<IResult> KakaoUnlinkAsync(HttpContext context)
    {
        var form = await RecordFormAsync(context);
        if (context.Request.Headers.Authorization != $"KakaoAK {AdminKey}")
        {
            return Results.Json(new { msg = "wrong appKey(KakaoAK ***) format.", code = -401 }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (RevocationError is { } forced)
        {
            return Results.Json(new { msg = "Configured failure.", code = int.Parse(forced, CultureInfo.InvariantCulture) }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (form["target_id_type"] != "user_id" || form["target_id"].Count == 0)
        {
            return Results.Json(new { msg = "target_id_type and target_id are required.", code = -2 }, statusCode: StatusCodes.Status400BadRequest);
        }

        string subject = form["target_id"]!;
        return _kakaoLinked.TryRemove(subject, out _)
            ? Results.Json(new { id = long.Parse(subject, CultureInfo.InvariantCulture) })
            : Results.Json(new { msg = "NotRegisteredUserException", code = -101 }, statusCode: StatusCodes.Status400BadRequest);
    }

    /// <summary>Naver, at its token endpoint (client already checked): refresh_token, or delete with a live access token.</summary>
    private IResult NaverGrant(IFormCollection form)
    {
        _revocations.Enqueue(new FakeRevocation("POST", RevocationPath, null, form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)));
        if (form["grant_type"] == "refresh_token")
        {
            return _refreshTokens.TryGetValue(form["refresh_token"].ToString(), out var owner)
                ? Results.Json(new { access_token = IssueAccessToken(owner), token_type = "bearer", expires_in = AccessTokenSeconds })
                : Results.Json(new { error = "invalid_request", error_description = "invalid refresh token" });
        }

        if (RevocationError is { } forced)
        {
            return Results.Json(new { error = forced, error_description = "Configured failure." });
        }

        if (form["service_provider"] != "NAVER")
        {
            return Results.Json(new { error = "invalid_request", error_description = "service_provider is required" });
        }

        if (LiveAccessToken(form["access_token"]) is not { } user)
        {
            return Results.Json(new { error = "invalid_token", error_description = "expired or unknown access token" });
        }

        RevokeGrant(user);
        return Results.Json(new { access_token = form["access_token"].ToString(), result = "success" });
    }

    /// <summary>
    /// Google (<c>token</c> only), Apple (client_id, client_secret JWT, token, token_type_hint) and RFC 7009 (client
    /// authentication as at the token endpoint; an unknown token is answered 200, §2.2).
    /// </summary>
    private async Task<IResult> RevokeAsync(HttpContext context)
    {
        var form = await RecordFormAsync(context);
        if (Kind != FakeProviderKind.Google)
        {
            var (clientId, secret, _) = ClientCredentials(context.Request, form);
            if (clientId != ClientId || !await ClientSecretIsValidAsync(secret))
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: StatusCodes.Status401Unauthorized);
            }
        }

        if (RevocationError is { } forced)
        {
            return Results.Json(new { error = forced, error_description = "Configured failure." }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (form["token"].Count == 0)
        {
            return Results.Json(new { error = "invalid_request", error_description = "token is required" }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (AnyToken(form["token"]) is { } user)
        {
            RevokeGrant(user);
            return Kind == FakeProviderKind.Google ? Results.Json(new { }) : Results.Ok();
        }

        return Kind switch
        {
            FakeProviderKind.Google => Results.Json(new { error = "invalid_token", error_description = "Token expired or revoked" }, statusCode: StatusCodes.Status400BadRequest),
            FakeProviderKind.Apple => Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest),
            _ => Results.Ok(),
        };
    }

    /// <summary>GitHub: <c>DELETE /applications/{client_id}/grant</c>, Basic client_id:client_secret, JSON <c>{"access_token"}</c>.</summary>
    private async Task<IResult> GitHubDeleteGrantAsync(HttpContext context)
    {
        Dictionary<string, string> body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(context.Request.Body, cancellationToken: context.RequestAborted) ?? [];
        }
        catch (JsonException)
        {
            body = [];
        }

        Record(context, body);
        var basic = AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header) && header.Scheme == "Basic" && header.Parameter is { } encoded
            ? Encoding.UTF8.GetString(Convert.FromBase64String(encoded))
            : null;
        if (basic != $"{ClientId}:{ClientSecret}")
        {
            return Results.Json(new { message = "Bad credentials" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (RevocationError is { } forced)
        {
            return Results.Json(new { message = forced }, statusCode: StatusCodes.Status403Forbidden);
        }

        if (!body.TryGetValue("access_token", out var token))
        {
            return Results.Json(new { message = "Invalid request.", errors = MissingAccessToken }, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        if (AnyToken(token) is not { } user)
        {
            return Results.Json(new { message = "Not Found" }, statusCode: StatusCodes.Status404NotFound);
        }

        RevokeGrant(user);
        return Results.StatusCode((int)HttpStatusCode.NoContent);
    }

    /// <summary>Slack: <c>auth.revoke</c> with the token (Bearer or form); HTTP 200 <c>{"ok": true, "revoked": true}</c> or <c>{"ok": false, "error"}</c>.</summary>
    private async Task<IResult> SlackRevokeAsync(HttpContext context)
    {
        var form = await RecordFormAsync(context);
        if (RevocationError is { } forced)
        {
            return Results.Json(new { ok = false, error = forced });
        }

        var token = AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header) && header.Scheme == "Bearer" ? header.Parameter : form["token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            return Results.Json(new { ok = false, error = "not_authed" });
        }

        if (AnyToken(token) is not { } user)
        {
            return Results.Json(new { ok = false, error = "invalid_auth" });
        }

        RevokeGrant(user);
        return Results.Json(new { ok = true, revoked = true });
    }
}
