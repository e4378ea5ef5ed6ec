using Gatehouse.Server.Hosting;
using Gatehouse.Server.Social;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Endpoints.Social;

/// <summary>
/// Where a browser may be sent: only absolute http(s) URLs whose origin is in <c>Gatehouse:Frontend:Origins</c>.
/// The check is textual as well as parsed (the URL must literally begin with the allowed origin followed by
/// <c>/</c>), so no difference between this parser and a browser's (<c>//evil</c>, <c>/\evil</c>, <c>https:evil</c>,
/// percent-encoding, user-info, other ports or schemes) can turn an allowed-looking URL into another site.
/// </summary>
internal sealed class RedirectTargets
{
    private const int MaxLength = 2048;
    private readonly IOptionsMonitor<FrontendOptions> _frontend;
    private readonly IOptionsMonitor<SocialFlowOptions> _flow;

    public RedirectTargets(IOptionsMonitor<FrontendOptions> frontend, IOptionsMonitor<SocialFlowOptions> flow)
    {
        _frontend = frontend;
        _flow = flow;
    }

    /// <summary>Where the redirect flow lands when <c>returnTo</c> is missing or refused; null when no frontend is configured.</summary>
    public string? Default => _flow.CurrentValue.DefaultReturnTo is { } configured && IsAllowed(configured)
        ? configured
        : _frontend.CurrentValue.Origins.FirstOrDefault() is { } origin ? origin + "/" : null;

    public bool IsAllowed(string? url) => IsAllowed(url, _frontend.CurrentValue);

    /// <summary>Whether <paramref name="url"/> is an absolute http(s) URL on one of <paramref name="frontend"/>'s origins.</summary>
    internal static bool IsAllowed(string? url, FrontendOptions frontend)
    {
        if (url is null or { Length: 0 or > MaxLength } || url.Any(c => c is <= ' ' or > '~' or '\\'))
        {
            return false;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.UserInfo.Length > 0
            || url.Contains('#', StringComparison.Ordinal))
        {
            return false;
        }

        var origin = uri.GetLeftPart(UriPartial.Authority);
        return frontend.IsAllowed(origin)
            && (url.Length == origin.Length ? string.Equals(url, origin, StringComparison.OrdinalIgnoreCase) : url.StartsWith(origin + "/", StringComparison.OrdinalIgnoreCase)
                || url.StartsWith(origin + "?", StringComparison.OrdinalIgnoreCase));
    }
}
