namespace Gatehouse.Core.Tokens;

/// <summary><c>Gatehouse:Tokens</c>: who signs, for whom, and how long each token lives.</summary>
public sealed class TokenOptions
{
    public const string Section = "Gatehouse:Tokens";

    /// <summary>The longest a session may last (<see cref="RefreshAbsoluteLifetime"/>, and so the idle lifetime too).</summary>
    public static readonly TimeSpan MaxRefreshLifetime = TimeSpan.FromDays(3650);

    /// <summary>The <c>iss</c> of every token and the base of the discovery document; the public URL of Gatehouse.</summary>
    public string Issuer { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The <c>aud</c> of access tokens: what the product's APIs expect.</summary>
    public string Audience { get; set; } = "gatehouse";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A session not used for this long ends; each refresh slides it.</summary>
    public TimeSpan RefreshIdleLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>A session ends this long after login, however much it is used.</summary>
    public TimeSpan RefreshAbsoluteLifetime { get; set; } = TimeSpan.FromDays(60);

    /// <summary>How long the token just rotated away is still answered with its successor (two tabs refreshing at once).</summary>
    public TimeSpan RefreshReuseLeeway { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Clock skew tolerated when validating lifetimes; at most 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Validate()
    {
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || (issuer.Scheme != Uri.UriSchemeHttps && issuer.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
        {
            yield return $"{Section}:Issuer must be an absolute http(s) URL without query or fragment.";
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return $"{Section}:Audience must not be empty.";
        }

        if (AccessTokenLifetime < TimeSpan.FromSeconds(1) || AccessTokenLifetime > TimeSpan.FromHours(24))
        {
            yield return $"{Section}:AccessTokenLifetime must be between 00:00:01 and 1.00:00:00.";
        }

        if (RefreshIdleLifetime <= AccessTokenLifetime)
        {
            yield return $"{Section}:RefreshIdleLifetime must be longer than AccessTokenLifetime.";
        }

        if (RefreshAbsoluteLifetime < RefreshIdleLifetime)
        {
            yield return $"{Section}:RefreshAbsoluteLifetime must be at least RefreshIdleLifetime.";
        }

        // A session's expiry is the login time plus this; beyond some thousands of years that is past DateTime's range,
        // and every login was a 500.
        if (RefreshAbsoluteLifetime > MaxRefreshLifetime)
        {
            yield return $"{Section}:RefreshAbsoluteLifetime must be at most {MaxRefreshLifetime} (10 years); it is {RefreshAbsoluteLifetime}.";
        }

        if (RefreshReuseLeeway < TimeSpan.Zero || RefreshReuseLeeway > TimeSpan.FromMinutes(1))
        {
            yield return $"{Section}:RefreshReuseLeeway must be between 00:00:00 and 00:01:00.";
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromSeconds(30))
        {
            yield return $"{Section}:ClockSkew must be between 00:00:00 and 00:00:30.";
        }
    }
}
