using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gatehouse.Server.Social.Providers;

namespace Gatehouse.Server.Social;

/// <summary>
/// <c>Gatehouse:Social</c>: the providers members log in with, and how long Gatehouse waits for them. The sign-up
/// rules of the same section (<c>RequiredFields</c>, <c>LinkByVerifiedEmail</c>, <c>SignupTokenLifetime</c>) are
/// <see cref="Core.Social.SocialAccountOptions"/>; the flow's (<c>StateLifetime</c>) are <see cref="SocialFlowOptions"/>.
/// </summary>
public sealed partial class SocialOptions
{
    public const string Section = "Gatehouse:Social";

    /// <summary>
    /// How long one call to a provider may take, retries included (and each attempt). A provider that takes longer
    /// fails the login with <c>provider_error</c> rather than holding the request.
    /// </summary>
    public TimeSpan ProviderTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>When Gatehouse stops calling a provider's host that keeps failing, and for how long.</summary>
    public ProviderCircuitOptions CircuitBreaker { get; } = new();

    /// <summary>By name: the <c>{provider}</c> of every route, compared case-insensitively.</summary>
    public IDictionary<string, SocialProviderOptions> Providers { get; } = new Dictionary<string, SocialProviderOptions>(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<string> Validate()
    {
        if (ProviderTimeout < TimeSpan.FromSeconds(1) || ProviderTimeout > TimeSpan.FromMinutes(2))
        {
            yield return $"{Section}:ProviderTimeout must be between 00:00:01 and 00:02:00 (was {ProviderTimeout}).";
        }

        foreach (var message in CircuitBreaker.Validate($"{Section}:CircuitBreaker"))
        {
            yield return message;
        }

        foreach (var (name, provider) in Providers)
        {
            if (!provider.Enabled)
            {
                continue;
            }

            var key = $"{Section}:Providers:{name}";
            if (!NamePattern().IsMatch(name))
            {
                yield return $"{key}: the name must be 1 to 32 letters, digits, '-' or '_' (it is part of URLs).";
            }

            foreach (var message in provider.Validate(key, name))
            {
                yield return message;
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex NamePattern();
}

/// <summary>
/// <c>Gatehouse:Social:CircuitBreaker</c>: a circuit per provider host (scheme, host and port). When at least
/// <see cref="FailureRatio"/> of the calls in <see cref="SamplingDuration"/> failed (5xx, 408, 429, a timeout, a network
/// error), and there were at least <see cref="MinimumThroughput"/>, the host is not called for
/// <see cref="BreakDuration"/>: logins with that provider fail at once with <c>provider_error</c> instead of each
/// waiting out the timeout, and one call then tries it again. Other providers' hosts are not affected.
/// </summary>
public sealed class ProviderCircuitOptions
{
    public bool Enabled { get; set; } = true;

    public double FailureRatio { get; set; } = 0.5;

    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<string> Validate(string section)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (FailureRatio is <= 0 or > 1 || double.IsNaN(FailureRatio))
        {
            yield return $"{section}:FailureRatio must be more than 0 and at most 1 (was {FailureRatio}).";
        }

        if (MinimumThroughput < 2)
        {
            yield return $"{section}:MinimumThroughput must be at least 2 (was {MinimumThroughput}).";
        }

        // Polly's own bounds: a window and a break of at least half a second.
        if (SamplingDuration < TimeSpan.FromMilliseconds(500) || SamplingDuration > TimeSpan.FromHours(1))
        {
            yield return $"{section}:SamplingDuration must be between 00:00:00.5 and 01:00:00 (was {SamplingDuration}).";
        }

        if (BreakDuration < TimeSpan.FromMilliseconds(500) || BreakDuration > TimeSpan.FromHours(1))
        {
            yield return $"{section}:BreakDuration must be between 00:00:00.5 and 01:00:00 (was {BreakDuration}).";
        }
    }
}

/// <summary>
/// <c>Gatehouse:Social:Providers:&lt;name&gt;</c>: one provider. A preset (<see cref="Kind"/> or a key named after it)
/// fills in everything but the client credentials; every endpoint can still be overridden.
/// </summary>
public sealed class SocialProviderOptions
{
    /// <summary>
    /// <c>kakao</c>, <c>naver</c>, <c>google</c>, <c>github</c>, <c>slack</c>, <c>apple</c>, <c>development</c>,
    /// <c>oidc</c> (any OpenID Connect provider, by <see cref="Issuer"/>) or <c>oauth2</c> (any OAuth 2 provider, by
    /// endpoints and JSON paths). Defaults to the provider's name when that is a preset.
    /// </summary>
    public string? Kind { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>What login buttons show; defaults to the preset's name (Kakao, Naver, Google…) or the key.</summary>
    public string? DisplayName { get; set; }

    /// <summary>The client id registered at the provider (Kakao: the REST API key; Apple: the Services ID). <c>development</c>: <c>gatehouse-dev</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Also as <c>ClientSecret_FILE</c>. Optional for Kakao, <c>development</c>, and public clients; Apple signs one from <see cref="PrivateKey"/> instead.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Null: the preset's scopes.</summary>
    public IList<string>? Scopes { get; set; }

    /// <summary>The OpenID Connect issuer (discovery at <c>{Issuer}/.well-known/openid-configuration</c>): required for <c>oidc</c>; the preset's for google, slack, apple and Kakao with <see cref="UseOpenIdConnect"/>.</summary>
    public string? Issuer { get; set; }

    public string? AuthorizationEndpoint { get; set; }

    public string? TokenEndpoint { get; set; }

    public string? UserInfoEndpoint { get; set; }

    /// <summary>Overrides the discovery document's <c>jwks_uri</c>.</summary>
    public string? JwksUri { get; set; }

    /// <summary>GitHub: where the member's addresses and their verification are listed (<c>/user/emails</c>).</summary>
    public string? EmailsEndpoint { get; set; }

    /// <summary>
    /// Where Gatehouse revokes a member's link when the member withdraws. Defaults: Kakao
    /// <c>https://kapi.kakao.com/v1/user/unlink</c>, Naver its token endpoint (<c>grant_type=delete</c>), Google
    /// <c>https://oauth2.googleapis.com/revoke</c>, Apple <c>https://appleid.apple.com/auth/revoke</c>, GitHub
    /// <c>https://api.github.com/applications/{client id}/grant</c>, Slack <c>https://slack.com/api/auth.revoke</c>,
    /// <c>oidc</c> the discovery document's <c>revocation_endpoint</c> (RFC 7009); <c>oauth2</c> none unless set.
    /// </summary>
    public string? RevocationEndpoint { get; set; }

    /// <summary>
    /// Kakao: the app's admin key (also as <c>AdminKey_FILE</c>). Unlinks a withdrawing member without their token,
    /// and is what Kakao's unlink callback sends (<c>Authorization: KakaoAK …</c>). Without it, neither happens.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// Kakao: the app id; when set, the unlink callback must name it (<c>app_id</c>). Apple: the primary App ID (bundle
    /// id) whose server-to-server notifications come here, when it is not <see cref="ClientId"/> (their <c>aud</c>).
    /// </summary>
    public string? AppId { get; set; }

    /// <summary>
    /// <c>client_secret_basic</c>, <c>client_secret_post</c> or <c>none</c>. Default: what the discovery document
    /// supports (basic first) for <c>oidc</c>, the provider's documented way for presets, <c>client_secret_post</c> for
    /// <c>oauth2</c>; <c>none</c> whenever there is no secret.
    /// </summary>
    public string? TokenEndpointAuthMethod { get; set; }

    /// <summary>Kakao: use Kakao Login's OpenID Connect (scope <c>openid</c>, a validated id token with the nonce).</summary>
    public bool UseOpenIdConnect { get; set; }

    /// <summary>Apple: the Team ID (the <c>iss</c> of the client secret Gatehouse signs).</summary>
    public string? TeamId { get; set; }

    /// <summary>Apple: the key id of <see cref="PrivateKey"/>.</summary>
    public string? KeyId { get; set; }

    /// <summary>Apple: the .p8 key, PEM (also as <c>PrivateKey_FILE</c>).</summary>
    public string? PrivateKey { get; set; }

    /// <summary><c>oauth2</c>: dotted paths into the user JSON (<c>data.id</c>, <c>kakao_account.email</c>). Defaults: <c>sub</c>, <c>email</c>, <c>email_verified</c>, <c>name</c>, <c>picture</c>.</summary>
    public string? IdPath { get; set; }

    public string? EmailPath { get; set; }

    public string? EmailVerifiedPath { get; set; }

    public string? NamePath { get; set; }

    public string? PicturePath { get; set; }

    internal IEnumerable<string> Validate(string key, string name)
    {
        var kind = ProviderKinds.Resolve(Kind, name);
        if (kind is null)
        {
            yield return Kind is null
                ? $"{key}:Kind is required: '{name}' is not a preset ({string.Join(", ", ProviderKinds.All)})."
                : $"{key}:Kind must be one of {string.Join(", ", ProviderKinds.All)} (was '{Kind}').";
            yield break;
        }

        if (string.IsNullOrWhiteSpace(ClientId) && kind != ProviderKinds.Development)
        {
            yield return $"{key}:ClientId is required.";
        }

        foreach (var (setting, value) in Urls())
        {
            if (value is not null && !IsUsableUrl(value, allowHttp: kind == ProviderKinds.Development))
            {
                yield return $"{key}:{setting} must be an absolute https URL (http only on loopback), or a path starting with '/' resolved against Gatehouse:Tokens:Issuer (was '{value}').";
            }
        }

        // OpenID Connect Discovery §4: an issuer has no query or fragment, and its document's address is the issuer with
        // /.well-known/openid-configuration appended, which a query would break: the first login was a 502.
        if (Issuer is { } issuer && (issuer.Contains('?', StringComparison.Ordinal) || issuer.Contains('#', StringComparison.Ordinal)))
        {
            yield return $"{key}:Issuer must have no query or fragment: discovery appends /.well-known/openid-configuration to it (was '{issuer}').";
        }

        if (kind == ProviderKinds.OpenIdConnect && string.IsNullOrWhiteSpace(Issuer))
        {
            yield return $"{key}:Issuer is required for Kind 'oidc' (its discovery document gives the endpoints).";
        }

        if (kind == ProviderKinds.OAuth2)
        {
            foreach (var (setting, value) in new[] { ("AuthorizationEndpoint", AuthorizationEndpoint), ("TokenEndpoint", TokenEndpoint), ("UserInfoEndpoint", UserInfoEndpoint) })
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    yield return $"{key}:{setting} is required for Kind 'oauth2'.";
                }
            }
        }

        // ProviderJson.Find walks the path step by step, so an empty step ('data..id', '.id', 'id.') names a property no
        // provider sends: every login would fail at the profile (502), found only by the first member to try.
        foreach (var (setting, value) in JsonPaths())
        {
            if (value is not null && value.Split('.').Any(string.IsNullOrWhiteSpace))
            {
                yield return $"{key}:{setting} must be a dotted path of property names, such as 'data.id' (was '{value}').";
            }
        }

        if (TokenEndpointAuthMethod is not null && !ClientAuthenticationMethods.TryParse(TokenEndpointAuthMethod, out _))
        {
            yield return $"{key}:TokenEndpointAuthMethod must be client_secret_basic, client_secret_post or none (was '{TokenEndpointAuthMethod}').";
        }

        if (kind == ProviderKinds.Apple)
        {
            foreach (var message in ValidateAppleKey(key))
            {
                yield return message;
            }
        }

        if (Scopes is { } scopes && scopes.Any(s => string.IsNullOrWhiteSpace(s) || s.Any(char.IsWhiteSpace)))
        {
            yield return $"{key}:Scopes must be single words without spaces.";
        }
    }

    internal IEnumerable<(string Setting, string? Value)> Urls() =>
    [
        (nameof(Issuer), Issuer),
        (nameof(AuthorizationEndpoint), AuthorizationEndpoint),
        (nameof(TokenEndpoint), TokenEndpoint),
        (nameof(UserInfoEndpoint), UserInfoEndpoint),
        (nameof(JwksUri), JwksUri),
        (nameof(EmailsEndpoint), EmailsEndpoint),
        (nameof(RevocationEndpoint), RevocationEndpoint),
    ];

    private IEnumerable<(string Setting, string? Value)> JsonPaths() =>
    [
        (nameof(IdPath), IdPath),
        (nameof(EmailPath), EmailPath),
        (nameof(EmailVerifiedPath), EmailVerifiedPath),
        (nameof(NamePath), NamePath),
        (nameof(PicturePath), PicturePath),
    ];

    private IEnumerable<string> ValidateAppleKey(string key)
    {
        if (string.IsNullOrWhiteSpace(TeamId))
        {
            yield return $"{key}:TeamId is required for Apple (the client secret's issuer).";
        }

        if (string.IsNullOrWhiteSpace(KeyId))
        {
            yield return $"{key}:KeyId is required for Apple (the id of the .p8 key).";
        }

        if (string.IsNullOrWhiteSpace(PrivateKey))
        {
            yield return $"{key}:PrivateKey (or PrivateKey_FILE) is required for Apple: the .p8 key, PEM.";
            yield break;
        }

        string? error = null;
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(PrivateKey);
            if (ecdsa.KeySize != 256)
            {
                error = "it is not a P-256 key";
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            error = "it is not a PEM EC private key";
        }

        if (error is not null)
        {
            yield return $"{key}:PrivateKey cannot be used: {error} (Apple's .p8 keys are).";
        }
    }

    // Client secrets and codes travel to these URLs: plain http only where nothing leaves the machine (and for the
    // development provider, which is Gatehouse itself).
    private static bool IsUsableUrl(string value, bool allowHttp) =>
        value.StartsWith('/')
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.Fragment)
            && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (allowHttp || uri.IsLoopback))));
}
