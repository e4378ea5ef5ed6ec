using Gatehouse.Core.Errors;
using Gatehouse.Core.Tokens;
using Gatehouse.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Endpoints.Auth;

/// <summary>
/// A cookie rides along with any request the browser makes, so a cookie-authenticated call must come from a page
/// we trust: its <c>Origin</c> is one of <see cref="FrontendOptions.Origins"/> or Gatehouse's own. SameSite=Strict
/// already keeps cross-site requests from carrying the cookie; this also refuses same-site origins we do not list
/// (another subdomain), which SameSite cannot.
/// </summary>
internal sealed class OriginCheck
{
    private readonly IOptionsMonitor<FrontendOptions> _frontend;
    private readonly IOptionsMonitor<TokenOptions> _tokens;

    public OriginCheck(IOptionsMonitor<FrontendOptions> frontend, IOptionsMonitor<TokenOptions> tokens)
    {
        _frontend = frontend;
        _tokens = tokens;
    }

    public Failure? Check(HttpContext context)
    {
        string? origin = context.Request.Headers.Origin;

        // No Origin: not a browser making a cross-origin call (browsers send Origin on every POST).
        if (origin is null || _frontend.CurrentValue.IsAllowed(origin) || IsSelf(context, origin))
        {
            return null;
        }

        return new Failure(GatehouseErrors.OriginNotAllowed, "Requests with the refresh cookie must come from an allowed frontend origin.");
    }

    private bool IsSelf(HttpContext context, string origin)
    {
        var self = context.Request.Scheme + "://" + context.Request.Host.Value;
        return string.Equals(origin, self, StringComparison.OrdinalIgnoreCase)
            || (Uri.TryCreate(_tokens.CurrentValue.Issuer, UriKind.Absolute, out var issuer) && string.Equals(origin, issuer.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));
    }
}
