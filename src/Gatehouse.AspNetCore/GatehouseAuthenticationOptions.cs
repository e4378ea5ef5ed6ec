namespace Gatehouse.AspNetCore;

/// <summary>How an API trusts the access tokens of one Gatehouse deployment.</summary>
public sealed class GatehouseAuthenticationOptions
{
    /// <summary>The largest <see cref="ClockSkew"/> accepted: access tokens live minutes, so more tolerance would be a real extension of their life.</summary>
    public static readonly TimeSpan MaximumClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The Gatehouse issuer URL, e.g. <c>https://auth.example.com</c>. Its
    /// <c>/.well-known/openid-configuration</c> must name exactly this URL as <c>issuer</c>.
    /// </summary>
    public string Authority { get; set; } = "";

    /// <summary>The <c>aud</c> an access token must carry.</summary>
    public string Audience { get; set; } = GatehouseDefaults.Audience;

    /// <summary>Tolerance for clock differences when checking <c>exp</c> and <c>nbf</c>; at most <see cref="MaximumClockSkew"/>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Refuse discovery and JWKS over plain http. May be false only for a loopback <see cref="Authority"/> (development).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How long fetched signing keys are used before they are fetched again in the background.</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The least time between two fetches of the signing keys when a token names a key id we do not know.
    /// Anyone can send such tokens, so this bounds what they cost the issuer.
    /// </summary>
    public TimeSpan MinimumUnknownKidRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many validated tokens are remembered (keyed by their SHA-256) until they expire; 0 turns the cache off.</summary>
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    /// <summary>The handler that fetches discovery and JWKS; tests route it to an in-memory issuer. Not disposed by Gatehouse.</summary>
    public HttpMessageHandler? BackchannelHttpHandler { get; set; }

    /// <summary>How long one discovery or JWKS request may take.</summary>
    public TimeSpan BackchannelTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="InvalidOperationException"/> naming each bad setting.</summary>
    public void Validate()
    {
        var errors = GetValidationErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }
    }

    internal List<string> GetValidationErrors()
    {
        const string Prefix = nameof(GatehouseAuthenticationOptions) + ".";
        var errors = new List<string>();

        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority)
            || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(authority.Query) || !string.IsNullOrEmpty(authority.Fragment) || !string.IsNullOrEmpty(authority.UserInfo))
        {
            errors.Add($"{Prefix}{nameof(Authority)} must be an absolute https URL without query or fragment, such as https://auth.example.com; it is '{Authority}'.");
        }
        else if (!RequireHttpsMetadata && !authority.IsLoopback)
        {
            errors.Add($"{Prefix}{nameof(RequireHttpsMetadata)} may be false only for a loopback {nameof(Authority)} (development); '{Authority}' is not loopback.");
        }
        else if (RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{Prefix}{nameof(Authority)} must use https unless {nameof(RequireHttpsMetadata)} is false (loopback development only); it is '{Authority}'.");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            errors.Add($"{Prefix}{nameof(Audience)} must not be empty.");
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > MaximumClockSkew)
        {
            errors.Add($"{Prefix}{nameof(ClockSkew)} must be between 0 and {MaximumClockSkew.TotalSeconds:0} seconds; it is {ClockSkew}.");
        }

        if (MinimumUnknownKidRefreshInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{Prefix}{nameof(MinimumUnknownKidRefreshInterval)} must be at least 1 second, or tokens with made-up key ids could make us fetch the JWKS on every request; it is {MinimumUnknownKidRefreshInterval}.");
        }

        if (JwksRefreshInterval < MinimumUnknownKidRefreshInterval || JwksRefreshInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"{Prefix}{nameof(JwksRefreshInterval)} must be between {nameof(MinimumUnknownKidRefreshInterval)} ({MinimumUnknownKidRefreshInterval}) and 1 day; it is {JwksRefreshInterval}.");
        }

        if (ValidatedTokenCacheSize < 0)
        {
            errors.Add($"{Prefix}{nameof(ValidatedTokenCacheSize)} must be 0 (off) or more; it is {ValidatedTokenCacheSize}.");
        }

        if (BackchannelTimeout <= TimeSpan.Zero || BackchannelTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{Prefix}{nameof(BackchannelTimeout)} must be more than 0 and at most 5 minutes; it is {BackchannelTimeout}.");
        }

        return errors;
    }

    /// <summary>The discovery document's URL (OpenID Connect Discovery 1.0 §4).</summary>
    internal string MetadataAddress => Authority.TrimEnd('/') + "/.well-known/openid-configuration";
}
