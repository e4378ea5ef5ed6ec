namespace Gatehouse.Core.Social;

/// <summary>The stable <c>error</c> codes of social login (see <see cref="Errors.GatehouseErrors"/> for the rule).</summary>
public static class SocialErrors
{
    /// <summary>400: the state is missing, unknown, expired, already used, or belongs to another provider or flow.</summary>
    public const string InvalidState = "invalid_state";

    /// <summary>400: the RFC 9207 <c>iss</c> parameter names another issuer than the provider the flow started with (mix-up).</summary>
    public const string IssuerMismatch = "issuer_mismatch";

    /// <summary>502: the provider failed, timed out, or answered with something that is not what its documentation says; <c>providerError</c> carries its own code.</summary>
    public const string ProviderError = "provider_error";

    /// <summary>502: the provider's id token failed validation (signature, issuer, audience, expiry, nonce).</summary>
    public const string InvalidIdToken = "invalid_id_token";

    /// <summary>400: the member cancelled at the provider (<c>error=access_denied</c>).</summary>
    public const string LoginCancelled = "login_cancelled";

    /// <summary>400: the signup token is missing, unknown, expired or already used.</summary>
    public const string InvalidSignupToken = "invalid_signup_token";

    /// <summary>409: the provider account is already linked to another member.</summary>
    public const string IdentityTaken = "identity_taken";

    /// <summary>409: the member already has an account of this provider linked.</summary>
    public const string ProviderAlreadyLinked = "provider_already_linked";

    /// <summary>409: unlinking would leave the member with no way to log in.</summary>
    public const string LastLoginMethod = "last_login_method";

    /// <summary>400: a redirectUri or returnTo that is not on an allowed origin.</summary>
    public const string InvalidRedirect = "invalid_redirect_uri";

    /// <summary>400: a provider's server-to-server notification whose JWT failed validation (signature, issuer, audience, expiry) or says nothing usable.</summary>
    public const string InvalidNotification = "invalid_notification";

    /// <summary>503: what this request needs is not configured on this server (Kakao's admin key, the deprovisioning handler).</summary>
    public const string NotConfigured = "not_configured";
}
