namespace Gatehouse.Server.Social.Providers;

/// <summary>The values of <c>Gatehouse:Social:Providers:&lt;name&gt;:Kind</c>.</summary>
internal static class ProviderKinds
{
    public const string Kakao = "kakao";
    public const string Naver = "naver";
    public const string Google = "google";
    public const string GitHub = "github";
    public const string Slack = "slack";
    public const string Apple = "apple";
    public const string Development = "development";
    public const string OpenIdConnect = "oidc";
    public const string OAuth2 = "oauth2";

    public static IReadOnlyList<string> All { get; } = [Kakao, Naver, Google, GitHub, Slack, Apple, Development, OpenIdConnect, OAuth2];

    /// <summary>The kind, lower case: <paramref name="kind"/> when given, else the provider's name when it is a preset; null when neither is known.</summary>
    public static string? Resolve(string? kind, string name)
    {
        var candidate = string.IsNullOrWhiteSpace(kind) ? name : kind.Trim();
        var found = All.FirstOrDefault(k => string.Equals(k, candidate, StringComparison.OrdinalIgnoreCase));

        // The generic kinds are chosen on purpose, never by a provider merely named "oidc".
        return string.IsNullOrWhiteSpace(kind) && found is OpenIdConnect or OAuth2 ? null : found;
    }
}

/// <summary>How the client authenticates at the token endpoint (RFC 6749 §2.3.1; OpenID Connect Core §9).</summary>
internal enum ClientAuthentication
{
    /// <summary><c>client_secret_basic</c>: HTTP Basic with the form-encoded id and secret.</summary>
    Basic,

    /// <summary><c>client_secret_post</c>: <c>client_id</c> and <c>client_secret</c> in the form.</summary>
    Post,

    /// <summary><c>none</c>: a public client, <c>client_id</c> in the form and PKCE only.</summary>
    None,
}

/// <summary>The registered names of <see cref="ClientAuthentication"/> (OpenID Connect Discovery's <c>token_endpoint_auth_methods_supported</c>).</summary>
internal static class ClientAuthenticationMethods
{
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";
    public const string None = "none";

    public static bool TryParse(string? value, out ClientAuthentication method)
    {
        (var known, method) = value switch
        {
            Basic => (true, ClientAuthentication.Basic),
            Post => (true, ClientAuthentication.Post),
            None => (true, ClientAuthentication.None),
            _ => (false, default),
        };
        return known;
    }
}
