namespace Gatehouse.Core.Errors;

/// <summary>
/// Gatehouse's own stable error codes, carried as the <c>error</c> member of RFC 9457 problem details.
/// A code is part of the contract: clients switch on it, so a code is never renamed.
/// </summary>
public static class GatehouseErrors
{
    public const string InvalidCredentials = "invalid_credentials";
    public const string ValidationFailed = "validation_failed";
    public const string RateLimited = "rate_limited";
    public const string EmailTaken = "email_taken";
    public const string NotFound = "not_found";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string OriginNotAllowed = "origin_not_allowed";
    public const string UnsupportedProvider = "unsupported_provider";
    public const string ServiceUnavailable = "service_unavailable";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string InternalError = "internal_error";
    public const string Conflict = "conflict";

    /// <summary>The action needs a recent login (or the password sent again): the token is valid but not fresh enough.</summary>
    public const string ReauthenticationRequired = "reauthentication_required";
}
