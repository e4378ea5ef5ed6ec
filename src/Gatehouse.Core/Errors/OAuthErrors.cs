namespace Gatehouse.Core.Errors;

/// <summary>The error codes of RFC 6749, used wherever Gatehouse speaks OAuth.</summary>
public static class OAuthErrors
{
    /// <summary>RFC 6749 §5.2: the request is missing a parameter, or is otherwise malformed.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>RFC 6749 §5.2: client authentication failed.</summary>
    public const string InvalidClient = "invalid_client";

    /// <summary>RFC 6749 §5.2: the grant (a refresh token, a code) is invalid, expired, revoked or was issued to another client.</summary>
    public const string InvalidGrant = "invalid_grant";

    /// <summary>RFC 6749 §5.2: the client may not use this grant type.</summary>
    public const string UnauthorizedClient = "unauthorized_client";

    /// <summary>RFC 6749 §5.2: the grant type is not supported.</summary>
    public const string UnsupportedGrantType = "unsupported_grant_type";

    /// <summary>RFC 6749 §5.2: the requested scope is invalid or exceeds what was granted.</summary>
    public const string InvalidScope = "invalid_scope";

    /// <summary>RFC 6749 §4.1.2.1: the resource owner or the server denied the request.</summary>
    public const string AccessDenied = "access_denied";

    /// <summary>RFC 6749 §4.1.2.1: the server met an unexpected condition.</summary>
    public const string ServerError = "server_error";

    /// <summary>RFC 6749 §4.1.2.1: the server is overloaded or in maintenance; try again later.</summary>
    public const string TemporarilyUnavailable = "temporarily_unavailable";

    /// <summary>RFC 6750 §3.1: the access token is expired, revoked, malformed or otherwise invalid.</summary>
    public const string InvalidToken = "invalid_token";
}
