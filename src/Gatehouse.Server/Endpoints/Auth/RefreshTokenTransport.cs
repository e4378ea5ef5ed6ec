using Gatehouse.Core.Errors;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Endpoints.Auth;

/// <summary>
/// How a refresh token travels: an HttpOnly, SameSite=Strict cookie scoped to <c>/auth</c> for browsers (script
/// never sees it), or the JSON body for native apps. A successor goes back the way its predecessor came.
/// </summary>
internal sealed class RefreshTokenTransport
{
    public const string CookieName = "gh_refresh";
    public const string CookiePath = "/auth";
    private readonly IOptionsMonitor<FrontendOptions> _frontend;
    private readonly IOptionsMonitor<Core.Tokens.TokenOptions> _tokens;
    private readonly TimeProvider _time;

    public RefreshTokenTransport(IOptionsMonitor<FrontendOptions> frontend, IOptionsMonitor<Core.Tokens.TokenOptions> tokens, TimeProvider time)
    {
        _frontend = frontend;
        _tokens = tokens;
        _time = time;
    }

    public static bool WantsBody(string? delivery) => string.Equals(delivery, "body", StringComparison.OrdinalIgnoreCase);

    public static Failure? ValidateDelivery(string? delivery) =>
        delivery is null || WantsBody(delivery) || string.Equals(delivery, "cookie", StringComparison.OrdinalIgnoreCase)
            ? null
            : Failure.Validation("refreshTokenDelivery", "refreshTokenDelivery is \"cookie\" or \"body\".");

    public TokenResponse Respond(HttpContext context, TokenGrant grant, bool inBody)
    {
        var now = _time.GetUtcNow();
        var response = new TokenResponse(
            grant.AccessToken.Value,
            "Bearer",
            Seconds(grant.AccessToken.ExpiresAt - now),
            Seconds(grant.Session.ExpiresAt - now));

        // Tokens are never cached by a browser or a proxy (RFC 6749 §5.1).
        context.Response.Headers.CacheControl = "no-store";
        if (inBody)
        {
            return response with { RefreshToken = grant.RefreshToken };
        }

        var idle = _tokens.CurrentValue.RefreshIdleLifetime;
        // Whole seconds, rounded: stores keep milliseconds, and a cookie must not lose a second to truncation.
        var remaining = TimeSpan.FromSeconds(Math.Round((grant.Session.ExpiresAt - now).TotalSeconds));
        context.Response.Cookies.Append(CookieName, grant.RefreshToken, CookieOptions(remaining < idle ? remaining : idle));
        return response;
    }

    public void Clear(HttpContext context) => context.Response.Cookies.Delete(CookieName, CookieOptions(null));

    private CookieOptions CookieOptions(TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = _frontend.CurrentValue.SecureCookies,
        SameSite = SameSiteMode.Strict,
        Path = CookiePath,
        MaxAge = maxAge,
        IsEssential = true,
    };

    private static long Seconds(TimeSpan span) => Math.Max(0, (long)Math.Round(span.TotalSeconds));
}
