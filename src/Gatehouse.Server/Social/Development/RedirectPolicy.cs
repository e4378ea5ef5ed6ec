using Gatehouse.Core.Tokens;
using Gatehouse.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Social.Development;

/// <summary>The redirect URIs the development provider sends a browser back to: Gatehouse's own origin and the frontend origins.</summary>
/// <remarks>
/// A real provider sends the browser only to the redirect URIs registered for the client. This one has no client
/// registry, so the origins Gatehouse already trusts stand in for one: Gatehouse's callback (the server-redirect flow)
/// lives on the issuer's origin, and a hand-off redirectUri must sit on a frontend origin anyway.
/// </remarks>
internal sealed class RedirectPolicy(IOptionsMonitor<FrontendOptions>? frontend, IOptionsMonitor<TokenOptions>? tokens)
{
    public bool IsAllowed(HttpContext context, Uri redirectUri)
    {
        var origin = redirectUri.GetLeftPart(UriPartial.Authority);
        if (frontend is null && tokens is null)
        {
            return true;
        }

        return string.Equals(origin, context.Request.Scheme + "://" + context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || (tokens is not null && Uri.TryCreate(tokens.CurrentValue.Issuer, UriKind.Absolute, out var issuer) && string.Equals(origin, issuer.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
            || (frontend?.CurrentValue.IsAllowed(origin) ?? false);
    }
}
