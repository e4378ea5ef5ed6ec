using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>The fake's endpoints: the authorization and token endpoints every provider has, then each one's user resource.</summary>
public sealed partial class FakeProviderServer
{
    private const string ClientAuthenticationBasic = "client_secret_basic";
    private const string ClientAuthenticationPost = "client_secret_post";

    /// <summary>Each provider's documented paths (hosts collapse onto the fake's one).</summary>
    private (string Authorize, string Token, string UserInfo, string Jwks) Paths => Kind switch
    {
        FakeProviderKind.Kakao => ("/oauth/authorize", "/oauth/token", "/v2/user/me", "/.well-known/jwks.json"),
        FakeProviderKind.Naver => ("/oauth2.0/authorize", "/oauth2.0/token", "/v1/nid/me", "/unused/jwks"),
        FakeProviderKind.Google => ("/o/oauth2/v2/auth", "/token", "/v1/userinfo", "/oauth2/v3/certs"),
        FakeProviderKind.GitHub => ("/login/oauth/authorize", "/login/oauth/access_token", "/user", "/unused/jwks"),
        FakeProviderKind.Slack => ("/openid/connect/authorize", "/api/openid.connect.token", "/api/openid.connect.userInfo", "/openid/connect/keys"),
        FakeProviderKind.Apple => ("/auth/authorize", "/auth/token", "/unused/userinfo", "/auth/keys"),
        FakeProviderKind.OpenIdConnect => ("/authorize", "/token", "/userinfo", "/jwks"),
        FakeProviderKind.OAuth2 => ("/oauth/authorize", "/oauth/token", "/api/me", "/unused/jwks"),
        _ => ("/dev/oauth/authorize", "/dev/oauth/token", "/dev/oauth/userinfo", "/unused/jwks"),
    };

    private void MapEndpoints()
    {
        var paths = Paths;
        _app.Use(async (context, next) =>
        {
            if (EndpointOf(context.Request.Path) is not { } endpoint)
            {
                await next(context);
                return;
            }

            _calls.AddOrUpdate(endpoint, 1, (_, n) => n + 1);
            if (!await MisbehaveAsync(endpoint, context))
            {
                await next(context);
            }
        });

        _app.MapGet(paths.Authorize, Authorize);
        _app.MapPost(paths.Token, (Func<HttpContext, Task<IResult>>)TokenAsync);
        _app.MapGet(paths.UserInfo, UserInfo);
        _app.MapGet("/user/emails", Emails);
        _app.MapGet("/.well-known/openid-configuration", Discovery);
        _app.MapGet(paths.Jwks, () => Results.Text(_keys.Jwks(), "application/json"));
        MapRevocation();
    }

    private FakeEndpoint? EndpointOf(PathString path)
    {
        var paths = Paths;
        return path.Value switch
        {
            var p when p == paths.Authorize => FakeEndpoint.Authorize,
            var p when p == paths.Token => FakeEndpoint.Token,
            var p when p == paths.UserInfo => FakeEndpoint.UserInfo,
            var p when p == paths.Jwks => FakeEndpoint.Jwks,
            "/user/emails" => FakeEndpoint.Emails,
            var p when p == RevocationPath => FakeEndpoint.Revocation,
            "/.well-known/openid-configuration" => FakeEndpoint.Discovery,
            _ => null,
        };
    }

    /// <summary>Applies a <see cref="Fault"/>; true when the request was answered by it.</summary>
    private async Task<bool> MisbehaveAsync(FakeEndpoint endpoint, HttpContext context)
    {
        if (!_faults.TryGetValue(endpoint, out var fault) || fault.Remaining <= 0)
        {
            return false;
        }

        _faults[endpoint] = fault with { Remaining = fault.Remaining - 1 };
        var response = context.Response;
        switch (fault.Fault)
        {
            case FakeFault.ServerError:
                response.StatusCode = StatusCodes.Status500InternalServerError;
                await response.WriteAsync("Internal Server Error");
                return true;
            case FakeFault.Html:
                response.ContentType = "text/html; charset=utf-8";
                await response.WriteAsync("<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We'll be right back</h1></body></html>");
                return true;
            case FakeFault.HugeBody:
                await WriteHugeBodyAsync(context);
                return true;
            default:
                try
                {
                    await Task.Delay(SlowDelay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return true;
                }

                return false;
        }
    }

    /// <summary>10 MB of JSON-looking bytes, chunked (no Content-Length), until the client stops reading.</summary>
    private async Task WriteHugeBodyAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        var chunk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
        HugeBodyBytesWritten = 0;
        try
        {
            await context.Response.Body.WriteAsync("{\"padding\":\""u8.ToArray(), context.RequestAborted);
            while (HugeBodyBytesWritten < 10 * 1024 * 1024)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                HugeBodyBytesWritten += chunk.Length;
            }

            await context.Response.Body.WriteAsync("\"}"u8.ToArray(), context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client hung up: what a bounded reader should do.
        }
    }

    /// <summary>RFC 6749 §4.1.1: approves <see cref="NextUser"/> at once and sends the browser back with a code.</summary>
    private IResult Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        string? redirectUri = query["redirect_uri"];
        if (query["client_id"] != ClientId || !Uri.TryCreate(redirectUri, UriKind.Absolute, out _))
        {
            // §4.1.2.1: a bad client or redirect URI is shown to the user, never redirected to.
            return Results.BadRequest("unknown client_id or bad redirect_uri");
        }

        string? state = query["state"];
        string scope = query["scope"].ToString();
        var formPost = query["response_mode"] == "form_post";
        if (query["response_type"] != "code")
        {
            return Respond(redirectUri!, formPost, [("error", "unsupported_response_type"), ("state", state)]);
        }

        if (query["code_challenge"].Count > 0 && query["code_challenge_method"] != "S256")
        {
            return Respond(redirectUri!, formPost, [("error", "invalid_request"), ("error_description", "code_challenge_method must be S256"), ("state", state)]);
        }

        if (Kind == FakeProviderKind.Apple && scope.Length > 0 && !formPost)
        {
            // Apple: "response_mode must be form_post when name or email scope is requested".
            return Results.BadRequest("response_mode must be form_post when name or email scope is requested");
        }

        if (DenyNextAuthorization)
        {
            DenyNextAuthorization = false;
            var error = Kind == FakeProviderKind.Apple ? "user_cancelled_authorize" : "access_denied";
            return Respond(redirectUri!, formPost, [("error", error), ("error_description", "The user denied the request."), ("state", state)]);
        }

        var user = NextUser;
        var code = Issue("code-");
        _codes[code] = new Grant(ClientId, redirectUri!, query["code_challenge"].Count > 0 ? query["code_challenge"].ToString() : null, query["nonce"].Count > 0 ? query["nonce"].ToString() : null, state, scope, user);
        var parameters = new List<(string, string?)> { ("code", code), ("state", state) };
        if (SendIssuerParameter)
        {
            parameters.Add(("iss", Issuer));
        }

        // Apple sends the name once, on the user's first authorization of the app, and never again.
        if (Kind == FakeProviderKind.Apple && _appleSeen.TryAdd(user.Subject, true) && scope.Contains("name", StringComparison.Ordinal))
        {
            var names = (user.Name ?? string.Empty).Split(' ', 2);
            parameters.Add(("user", System.Text.Json.JsonSerializer.Serialize(new { name = new { firstName = names[0], lastName = names.ElementAtOrDefault(1) ?? string.Empty }, email = user.Email })));
        }

        return Respond(redirectUri!, formPost, parameters);
    }

    private static IResult Respond(string redirectUri, bool formPost, IEnumerable<(string Name, string? Value)> parameters)
    {
        var present = parameters.Where(p => p.Value is not null).ToList();
        if (!formPost)
        {
            return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, present.Select(p => new KeyValuePair<string, string?>(p.Name, p.Value))));
        }

        // OAuth 2.0 Form Post Response Mode: a page that posts the parameters to the redirect URI.
        var html = new StringBuilder("<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\">");
        html.Append(CultureInfoInvariant($"<form method=\"post\" action=\"{WebUtility.HtmlEncode(redirectUri)}\">"));
        foreach (var (name, value) in present)
        {
            html.Append(CultureInfoInvariant($"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(name)}\" value=\"{WebUtility.HtmlEncode(value)}\"/>"));
        }

        html.Append("</form></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static string CultureInfoInvariant(FormattableString value) => FormattableString.Invariant(value);

    /// <summary>RFC 6749 §4.1.3 and §5, in each provider's style.</summary>
    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var (clientId, secret, method) = ClientCredentials(context.Request, form);
        LastClientAuthentication = method;
        LastTokenRequest = form.Where(f => f.Key is not ("client_secret" or "code_verifier")).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);

        if (clientId != ClientId || !await ClientSecretIsValidAsync(secret))
        {
            return TokenFailure(InvalidClientError, "The client credentials are invalid.", StatusCodes.Status401Unauthorized);
        }

        if (TokenError is { } forced)
        {
            return TokenFailure(forced, "Configured failure.", StatusCodes.Status400BadRequest);
        }

        if (Kind == FakeProviderKind.Naver && form["grant_type"] is { } naverGrant && (naverGrant == "refresh_token" || naverGrant == "delete"))
        {
            return NaverGrant(form);
        }

        if (form["grant_type"] != "authorization_code")
        {
            return TokenFailure("unsupported_grant_type", "Only authorization_code.", StatusCodes.Status400BadRequest);
        }

        if (!_codes.TryRemove(form["code"].ToString(), out var grant))
        {
            return TokenFailure(InvalidGrantError, InvalidGrantDescription, StatusCodes.Status400BadRequest);
        }

        // Naver takes no redirect_uri at the token endpoint but documents state as required there.
        var redirectMatches = Kind == FakeProviderKind.Naver || form["redirect_uri"] == grant.RedirectUri;
        var stateMatches = Kind != FakeProviderKind.Naver || (grant.State is not null && form["state"] == grant.State);
        if (grant.ClientId != clientId || !redirectMatches || !stateMatches || !PkceMatches(grant.CodeChallenge, form["code_verifier"]))
        {
            return TokenFailure(InvalidGrantError, InvalidGrantDescription, StatusCodes.Status400BadRequest);
        }

        var accessToken = IssueAccessToken(grant.User);
        var idToken = IssuesIdToken(grant) ? IdToken(grant) : null;
        return Results.Json(TokenResponse(accessToken, idToken, grant.Scope, IssueRefreshToken(grant.User)));
    }

    private static (string? ClientId, string? Secret, string Method) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) && header.Scheme == "Basic" && header.Parameter is { } encoded)
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split(':', 2);
            return (WebUtility.UrlDecode(pair[0]), WebUtility.UrlDecode(pair.ElementAtOrDefault(1)), ClientAuthenticationBasic);
        }

        return form["client_secret"].Count > 0
            ? (form["client_id"], form["client_secret"], ClientAuthenticationPost)
            : (form["client_id"], (string?)null, "none");
    }

    private async Task<bool> ClientSecretIsValidAsync(string? secret) => Kind == FakeProviderKind.Apple
        ? await AppleClientSecretIsValidAsync(secret)
        : !RequireClientSecret || secret == ClientSecret;

    /// <summary>RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the code_challenge of the authorization.</summary>
    private static bool PkceMatches(string? challenge, string? verifier) =>
        challenge is null || (verifier is not null && Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == challenge);

    private bool IssuesIdToken(Grant grant) => Kind == FakeProviderKind.Apple || (IsOpenIdConnect && grant.Scope.Split(' ').Contains("openid"));

    private object TokenResponse(string accessToken, string? idToken, string scope, string refreshToken) => Kind switch
    {
        FakeProviderKind.Naver => new { access_token = accessToken, refresh_token = refreshToken, token_type = "bearer", expires_in = AccessTokenSeconds },
        FakeProviderKind.GitHub => new { access_token = accessToken, token_type = "bearer", scope = "read:user,user:email" },
        FakeProviderKind.Slack => new { ok = true, access_token = accessToken, token_type = "Bearer", id_token = idToken },
        FakeProviderKind.Kakao => new { token_type = "bearer", access_token = accessToken, expires_in = 21599, refresh_token = refreshToken, refresh_token_expires_in = 5183999, scope, id_token = idToken },
        FakeProviderKind.Apple or FakeProviderKind.OpenIdConnect or FakeProviderKind.OAuth2 => new { access_token = accessToken, token_type = "Bearer", expires_in = 3599, scope, id_token = idToken, refresh_token = refreshToken },
        _ => new { access_token = accessToken, token_type = "Bearer", expires_in = 3599, scope, id_token = idToken },
    };

    private string InvalidGrantError => Kind switch
    {
        FakeProviderKind.GitHub => "bad_verification_code",
        FakeProviderKind.Slack => "invalid_code",
        FakeProviderKind.Naver => "invalid_request",
        _ => "invalid_grant",
    };

    private string InvalidGrantDescription => Kind switch
    {
        FakeProviderKind.Naver => "no valid data in session",
        FakeProviderKind.Kakao => "authorization code not found for code",
        _ => "The code is invalid, expired, used, or was issued to another client.",
    };

    private string InvalidClientError => Kind switch
    {
        FakeProviderKind.GitHub => "incorrect_client_credentials",
        FakeProviderKind.Slack => "bad_client_secret",
        _ => "invalid_client",
    };

    /// <summary>GitHub, Naver and Slack answer token errors with HTTP 200; the others with a 4xx and RFC 6749 §5.2 JSON.</summary>
    private IResult TokenFailure(string error, string description, int status) => Kind switch
    {
        FakeProviderKind.Slack => Results.Json(new { ok = false, error }),
        FakeProviderKind.GitHub => Results.Json(new { error, error_description = description, error_uri = "https://docs.github.test/oauth-errors" }),
        FakeProviderKind.Naver => Results.Json(new { error, error_description = description }),
        FakeProviderKind.Kakao => Results.Json(new { error, error_description = description, error_code = error == "invalid_grant" ? "KOE320" : "KOE010" }, statusCode: status),
        _ => Results.Json(new { error, error_description = description }, statusCode: status),
    };

    private string Issue(string prefix)
    {
        var value = prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        _issued.Enqueue(value);
        return value;
    }
}
