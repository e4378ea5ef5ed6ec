namespace Gatehouse.Server.Social.Providers;

/// <summary>
/// What each preset knows about its provider, as data: the documented endpoints, scopes and quirks. Configuration
/// overrides any of it (tests point the endpoints at fakes); <see cref="Resolve"/> merges the two.
/// </summary>
internal static class ProviderPresets
{
    public const string DevelopmentClientId = "gatehouse-dev";
    public const string KakaoIssuer = "https://kauth.kakao.com";

    private sealed record Preset(string DisplayName, IReadOnlyList<string> Scopes, ProfileReader Reader)
    {
        public string? Issuer { get; init; }

        public string? AuthorizationEndpoint { get; init; }

        public string? TokenEndpoint { get; init; }

        public string? UserInfoEndpoint { get; init; }

        public string? EmailsEndpoint { get; init; }

        /// <summary>Where a link is revoked; GitHub's names the client: <c>{client_id}</c> is replaced.</summary>
        public string? RevocationEndpoint { get; init; }

        /// <summary>Null: from discovery.</summary>
        public ClientAuthentication? ClientAuthentication { get; init; } = Providers.ClientAuthentication.Post;

        public IReadOnlyList<KeyValuePair<string, string>> AuthorizationParameters { get; init; } = [];

        public bool UsesFormPost { get; init; }

        public bool SendsStateToTokenEndpoint { get; init; }

        public IReadOnlySet<string> InvalidGrantErrors { get; init; } = new HashSet<string>();
    }

    private static readonly Dictionary<string, Preset> Presets = new(StringComparer.Ordinal)
    {
        // Kakao Login REST API: https://developers.kakao.com/docs/latest/en/kakaologin/rest-api
        [ProviderKinds.Kakao] = new("Kakao", ["profile_nickname", "profile_image", "account_email"], ProfileReaders.KakaoAsync)
        {
            AuthorizationEndpoint = "https://kauth.kakao.com/oauth/authorize",
            TokenEndpoint = "https://kauth.kakao.com/oauth/token",
            UserInfoEndpoint = "https://kapi.kakao.com/v2/user/me",

            // https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#unlink (with the admin key).
            RevocationEndpoint = "https://kapi.kakao.com/v1/user/unlink",
        },

        // Naver Login API: https://developers.naver.com/docs/login/api/api.md. Consent items are set on the
        // application, not by scope; an invalid or used code comes back as HTTP 200 {"error":"invalid_request"}.
        [ProviderKinds.Naver] = new("Naver", [], ProfileReaders.NaverAsync)
        {
            AuthorizationEndpoint = "https://nid.naver.com/oauth2.0/authorize",
            TokenEndpoint = "https://nid.naver.com/oauth2.0/token",
            UserInfoEndpoint = "https://openapi.naver.com/v1/nid/me",
            SendsStateToTokenEndpoint = true,
            InvalidGrantErrors = new HashSet<string>(StringComparer.Ordinal) { "invalid_request" },
        },

        // Google Identity, OpenID Connect: https://developers.google.com/identity/openid-connect/openid-connect
        [ProviderKinds.Google] = new("Google", ["openid", "email", "profile"], ProfileReaders.ClaimsAsync)
        {
            Issuer = "https://accounts.google.com",

            // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
            RevocationEndpoint = "https://oauth2.googleapis.com/revoke",
        },

        // GitHub OAuth apps: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps.
        // Errors at the token endpoint come as HTTP 200 with {"error": …}; a bad or used code is bad_verification_code.
        [ProviderKinds.GitHub] = new("GitHub", ["read:user", "user:email"], ProfileReaders.GitHubAsync)
        {
            AuthorizationEndpoint = "https://github.com/login/oauth/authorize",
            TokenEndpoint = "https://github.com/login/oauth/access_token",
            UserInfoEndpoint = "https://api.github.com/user",
            EmailsEndpoint = "https://api.github.com/user/emails",

            // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
            RevocationEndpoint = "https://api.github.com/applications/{client_id}/grant",
            InvalidGrantErrors = new HashSet<string>(StringComparer.Ordinal) { "bad_verification_code" },
        },

        // Sign in with Slack (OpenID Connect): https://api.slack.com/authentication/sign-in-with-slack. Failures come
        // as HTTP 200 {"ok": false, "error": …}; a bad or used code is invalid_code.
        [ProviderKinds.Slack] = new("Slack", ["openid", "email", "profile"], ProfileReaders.ClaimsAsync)
        {
            Issuer = "https://slack.com",

            // https://api.slack.com/methods/auth.revoke
            RevocationEndpoint = "https://slack.com/api/auth.revoke",
            InvalidGrantErrors = new HashSet<string>(StringComparer.Ordinal) { "invalid_code" },
        },

        // Sign in with Apple REST API: https://developer.apple.com/documentation/sign_in_with_apple/sign_in_with_apple_rest_api.
        // Requesting name or email requires response_mode=form_post; there is no userinfo endpoint.
        [ProviderKinds.Apple] = new("Apple", ["name", "email"], ProfileReaders.AppleAsync)
        {
            Issuer = "https://appleid.apple.com",
            AuthorizationParameters = [new("response_mode", "form_post")],
            UsesFormPost = true,

            // https://developer.apple.com/documentation/sign_in_with_apple/revoke_tokens
            RevocationEndpoint = "https://appleid.apple.com/auth/revoke",
        },

        // Gatehouse's own development provider (Social/Development): relative endpoints, a public client.
        [ProviderKinds.Development] = new("Development", [], ProfileReaders.JsonPathsAsync)
        {
            AuthorizationEndpoint = "/dev/oauth/authorize",
            TokenEndpoint = "/dev/oauth/token",
            UserInfoEndpoint = "/dev/oauth/userinfo",
        },

        [ProviderKinds.OpenIdConnect] = new("OpenID Connect", ["openid", "email", "profile"], ProfileReaders.ClaimsAndUserInfoAsync)
        {
            ClientAuthentication = null,
        },

        [ProviderKinds.OAuth2] = new("OAuth 2", [], ProfileReaders.JsonPathsAsync),
    };

    /// <summary>Merges the preset of <paramref name="options"/>' kind with the options. The options must have passed <see cref="SocialOptions.Validate"/>.</summary>
    public static ProviderDefinition Resolve(string name, SocialProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kind = ProviderKinds.Resolve(options.Kind, name) ?? throw new InvalidOperationException($"Provider '{name}' has no known kind.");
        var preset = Presets[kind];
        var kakaoOidc = kind == ProviderKinds.Kakao && options.UseOpenIdConnect;
        var openIdConnect = preset.Issuer is not null || kakaoOidc || kind == ProviderKinds.OpenIdConnect;
        var scopes = options.Scopes?.ToArray() ?? (kakaoOidc ? ["openid", .. preset.Scopes] : preset.Scopes);
        var secret = string.IsNullOrEmpty(options.ClientSecret) ? null : options.ClientSecret;
        var auth = ClientAuthenticationMethods.TryParse(options.TokenEndpointAuthMethod, out var forced) ? forced : preset.ClientAuthentication;
        var clientId = string.IsNullOrWhiteSpace(options.ClientId) ? DevelopmentClientId : options.ClientId;
        var tokenEndpoint = options.TokenEndpoint ?? preset.TokenEndpoint;

        // Naver deletes a grant at its token endpoint (grant_type=delete).
        var revocation = (options.RevocationEndpoint ?? (kind == ProviderKinds.Naver ? tokenEndpoint : preset.RevocationEndpoint))
            ?.Replace("{client_id}", Uri.EscapeDataString(clientId), StringComparison.Ordinal);
        if (secret is null && kind != ProviderKinds.Apple)
        {
            auth = ClientAuthentication.None;
        }

        return new ProviderDefinition
        {
            Name = name.ToLowerInvariant(),
            Kind = kind,
            DisplayName = string.IsNullOrWhiteSpace(options.DisplayName) ? (kind is ProviderKinds.OpenIdConnect or ProviderKinds.OAuth2 ? name : preset.DisplayName) : options.DisplayName,
            ClientId = clientId,
            ClientSecret = secret,
            Scopes = scopes,
            Issuer = openIdConnect ? options.Issuer ?? preset.Issuer ?? KakaoIssuer : null,
            AuthorizationEndpoint = Url(options.AuthorizationEndpoint ?? preset.AuthorizationEndpoint),
            TokenEndpoint = Url(tokenEndpoint),
            UserInfoEndpoint = Url(options.UserInfoEndpoint ?? preset.UserInfoEndpoint),
            JwksUri = Url(options.JwksUri),
            EmailsEndpoint = Url(options.EmailsEndpoint ?? preset.EmailsEndpoint),
            RevocationEndpoint = Url(revocation),
            AdminKey = string.IsNullOrEmpty(options.AdminKey) ? null : options.AdminKey,
            AppId = string.IsNullOrWhiteSpace(options.AppId) ? null : options.AppId.Trim(),
            ClientAuthentication = auth,
            AuthorizationParameters = preset.AuthorizationParameters,
            UsesFormPost = preset.UsesFormPost,
            SendsStateToTokenEndpoint = preset.SendsStateToTokenEndpoint,
            InvalidGrantErrors = preset.InvalidGrantErrors,
            Paths = new UserJsonPaths(
                options.IdPath ?? UserJsonPaths.Standard.Id,
                options.EmailPath ?? UserJsonPaths.Standard.Email,
                options.EmailVerifiedPath ?? UserJsonPaths.Standard.EmailVerified,
                options.NamePath ?? UserJsonPaths.Standard.Name,
                options.PicturePath ?? UserJsonPaths.Standard.Picture),
            AppleKey = kind == ProviderKinds.Apple ? new AppleSigningKey(options.TeamId!, options.KeyId!, options.PrivateKey!) : null,
            ReadProfile = preset.Reader,
        };
    }

    /// <summary>
    /// Presets' relative endpoints (the development provider's) and configured ones starting with "/" are paths of
    /// Gatehouse itself: they are made absolute against <c>Gatehouse:Tokens:Issuer</c> before validation.
    /// </summary>
    public static void ResolveRelativeEndpoints(SocialOptions options, string gatehouseIssuer)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(gatehouseIssuer.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri))
        {
            return;
        }

        foreach (var (name, provider) in options.Providers)
        {
            if (ProviderKinds.Resolve(provider.Kind, name) == ProviderKinds.Development)
            {
                var preset = Presets[ProviderKinds.Development];
                provider.AuthorizationEndpoint ??= preset.AuthorizationEndpoint;
                provider.TokenEndpoint ??= preset.TokenEndpoint;
                provider.UserInfoEndpoint ??= preset.UserInfoEndpoint;
            }

            provider.Issuer = Absolute(provider.Issuer);
            provider.AuthorizationEndpoint = Absolute(provider.AuthorizationEndpoint);
            provider.TokenEndpoint = Absolute(provider.TokenEndpoint);
            provider.UserInfoEndpoint = Absolute(provider.UserInfoEndpoint);
            provider.JwksUri = Absolute(provider.JwksUri);
            provider.EmailsEndpoint = Absolute(provider.EmailsEndpoint);
            provider.RevocationEndpoint = Absolute(provider.RevocationEndpoint);
        }

        string? Absolute(string? value) => value is not null && value.StartsWith('/') && !value.StartsWith("//", StringComparison.Ordinal)
            ? new Uri(baseUri, value.TrimStart('/')).AbsoluteUri
            : value;
    }

    private static Uri? Url(string? value) => value is null ? null : new Uri(value, UriKind.Absolute);
}
