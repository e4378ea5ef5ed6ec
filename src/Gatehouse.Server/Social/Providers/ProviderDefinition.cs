namespace Gatehouse.Server.Social.Providers;

/// <summary>Reads the provider's user once the code is redeemed: the quirk that tells one provider from another.</summary>
internal delegate Task<Gatehouse.Core.Social.ExternalProfile> ProfileReader(ProfileContext context, CancellationToken cancellationToken);

/// <summary>Apple's client secret is a JWT signed with this key (Sign in with Apple REST API, "Creating a client secret").</summary>
internal sealed record AppleSigningKey(string TeamId, string KeyId, string PrivateKeyPem);

/// <summary><c>oauth2</c>: where the user JSON keeps each field (dotted paths).</summary>
internal sealed record UserJsonPaths(string Id, string Email, string EmailVerified, string Name, string Picture)
{
    public static UserJsonPaths Standard { get; } = new("sub", "email", "email_verified", "name", "picture");
}

/// <summary>
/// One configured provider, resolved: the preset's defaults under the configured overrides. Endpoints left null on an
/// OpenID Connect provider come from its discovery document.
/// </summary>
internal sealed record ProviderDefinition
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public required string DisplayName { get; init; }

    public required string ClientId { get; init; }

    public string? ClientSecret { get; init; }

    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>Set for OpenID Connect providers: discovery, id token validation and the nonce depend on it.</summary>
    public string? Issuer { get; init; }

    public Uri? AuthorizationEndpoint { get; init; }

    public Uri? TokenEndpoint { get; init; }

    public Uri? UserInfoEndpoint { get; init; }

    public Uri? JwksUri { get; init; }

    public Uri? EmailsEndpoint { get; init; }

    /// <summary>
    /// Where a member's link is revoked (Kakao's unlink, Google's and Apple's revoke, GitHub's grant, Slack's
    /// auth.revoke, Naver's token endpoint); null for <c>oidc</c>: from discovery; null otherwise: no revocation.
    /// </summary>
    public Uri? RevocationEndpoint { get; init; }

    /// <summary>Kakao: the admin key (unlink without the member's token; the unlink callback's <c>Authorization: KakaoAK</c>).</summary>
    public string? AdminKey { get; init; }

    /// <summary>Kakao: the app id the unlink callback must name, when set. Apple: the primary App ID its notifications may be addressed to.</summary>
    public string? AppId { get; init; }

    /// <summary>Null: from the discovery document (basic when supported).</summary>
    public ClientAuthentication? ClientAuthentication { get; init; }

    /// <summary>Sent to the authorization endpoint besides the standard parameters (Apple: <c>response_mode=form_post</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> AuthorizationParameters { get; init; } = [];

    public bool UsesFormPost { get; init; }

    /// <summary>Naver documents <c>state</c> as a parameter of its token request too.</summary>
    public bool SendsStateToTokenEndpoint { get; init; }

    /// <summary>The provider's own codes for "this code is bad, used or someone else's", besides RFC 6749's <c>invalid_grant</c>.</summary>
    public IReadOnlySet<string> InvalidGrantErrors { get; init; } = new HashSet<string>();

    public UserJsonPaths Paths { get; init; } = UserJsonPaths.Standard;

    public AppleSigningKey? AppleKey { get; init; }

    public required ProfileReader ReadProfile { get; init; }

    public bool IsOpenIdConnect => Issuer is not null;
}
