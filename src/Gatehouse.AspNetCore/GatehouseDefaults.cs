namespace Gatehouse.AspNetCore;

/// <summary>Names and values shared by everything that trusts Gatehouse access tokens.</summary>
public static class GatehouseDefaults
{
    /// <summary>The authentication scheme <c>AddGatehouse</c> registers.</summary>
    public const string AuthenticationScheme = "Gatehouse";

    /// <summary>The audience Gatehouse puts in access tokens unless configured otherwise.</summary>
    public const string Audience = "gatehouse";

    /// <summary>The only signature algorithm accepted: ECDSA P-256 with SHA-256 (RFC 7518 §3.4).</summary>
    public const string Algorithm = "ES256";

    /// <summary>The <c>typ</c> header of an access token (RFC 9068 §2.1).</summary>
    public const string AccessTokenType = "at+jwt";

    /// <summary>The member's id.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The refresh session the access token was issued from.</summary>
    public const string SessionIdClaim = "sid";
}
