using Gatehouse.Core.Social;

namespace Gatehouse.Server.Social;

/// <summary>What the flow sends a provider's authorization endpoint (besides client_id, scopes and preset extras).</summary>
/// <param name="State">Opaque, single use; echoed back by the provider.</param>
/// <param name="CodeChallenge">PKCE S256 challenge of the verifier the flow keeps (RFC 7636).</param>
/// <param name="Nonce">Sent to OpenID Connect providers; the id token must carry it back.</param>
/// <param name="RedirectUri">Where the provider sends the browser back: the frontend's page (hand-off) or Gatehouse's callback.</param>
internal sealed record AuthorizationParameters(string State, string CodeChallenge, string Nonce, string RedirectUri);

/// <summary>What the flow hands a provider to turn a code into the provider's user.</summary>
/// <param name="FormUser">Apple only: the <c>user</c> JSON its form_post carries on the first login (the name is sent nowhere else).</param>
/// <param name="State">The state the provider echoed: Naver documents it as a parameter of its token request too.</param>
internal sealed record CodeRedemption(string Code, string RedirectUri, string CodeVerifier, string Nonce, string? FormUser, string? State = null);

/// <summary>
/// One configured provider: a preset (kakao, naver, google, github, slack, apple, development) or a generic kind
/// (oidc by issuer, oauth2 by endpoints and JSON paths). Implementations make HTTP calls only: never touch the
/// database, and never hold anything open across calls.
/// </summary>
internal interface ISocialProvider
{
    /// <summary>The configuration key, lower case: the <c>{provider}</c> of every route.</summary>
    string Name { get; }

    string DisplayName { get; }

    /// <summary>The provider answers the server-redirect flow with a form POST (Apple: <c>response_mode=form_post</c>).</summary>
    bool UsesFormPost { get; }

    /// <summary>
    /// The issuer identifier RFC 9207's <c>iss</c> authorization-response parameter must equal when the provider sends
    /// one (OpenID Connect providers: from discovery); null when the provider has no issuer identifier.
    /// </summary>
    ValueTask<string?> GetIssuerAsync(CancellationToken cancellationToken);

    /// <exception cref="SocialProviderException">Discovery failed.</exception>
    ValueTask<Uri> BuildAuthorizationUrlAsync(AuthorizationParameters parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Exchanges the code (one POST, never retried: codes are single use), validates the id token where there is one
    /// (signature against the provider's JWKS, issuer, audience, expiry, nonce), reads the user resource (GETs,
    /// retried with backoff) and maps it. The provider's tokens come back beside the profile.
    /// </summary>
    /// <exception cref="SocialProviderException">Any failure of the provider or of what it sent.</exception>
    Task<ProviderRedemption> RedeemAsync(CodeRedemption redemption, CancellationToken cancellationToken);
}

/// <summary>The providers that are configured and enabled, by name (case-insensitive).</summary>
internal interface ISocialProviderRegistry
{
    IReadOnlyList<ISocialProvider> Enabled { get; }

    bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISocialProvider? provider);
}

/// <summary>A provider call that failed, or answered with something Gatehouse cannot accept.</summary>
internal sealed class SocialProviderException : Exception
{
    public SocialProviderException(string error, string message, string? providerError = null, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        ProviderError = providerError;
    }

    public SocialProviderException()
        : this(SocialErrors.ProviderError, "The provider failed.")
    {
    }

    public SocialProviderException(string message)
        : this(SocialErrors.ProviderError, message)
    {
    }

    public SocialProviderException(string message, Exception innerException)
        : this(SocialErrors.ProviderError, message, null, innerException)
    {
    }

    /// <summary>
    /// <see cref="SocialErrors.ProviderError"/> (the provider failed, timed out, or sent something malformed: 502),
    /// <see cref="Core.Errors.OAuthErrors.InvalidGrant"/> (the provider refused the code: 400), or
    /// <see cref="SocialErrors.InvalidIdToken"/> (the id token failed validation: 502).
    /// </summary>
    public string Error { get; }

    /// <summary>The provider's own error code (OAuth <c>error</c>, Slack's <c>error</c>, Naver's <c>resultcode</c>…), if it sent one.</summary>
    public string? ProviderError { get; }

    /// <summary>When the provider may be called again: set while its host's circuit is open (<c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }
}
