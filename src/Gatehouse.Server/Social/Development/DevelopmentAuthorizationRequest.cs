using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Server.Social.Development;

/// <summary>
/// An authorization request the sign-in page was shown for, as validated when the page was rendered. It travels
/// through the form as one signed value, so the POST cannot swap the redirect URI, state or PKCE challenge.
/// </summary>
internal sealed record DevelopmentAuthorizationRequest(string ClientId, string RedirectUri, string? State, string CodeChallenge, string? Scope, DateTimeOffset ExpiresAt)
{
    private const int MaxValueLength = 2048;

    /// <summary>
    /// Validates the query of <c>GET /dev/oauth/authorize</c> (RFC 6749 §4.1.1, RFC 7636 §4.3). Every problem is
    /// answered on the page itself, never by a redirect: this provider has no client registry, so redirecting an
    /// error to an unverified <c>redirect_uri</c> would make it an open redirector (RFC 9700 §4.11.2).
    /// </summary>
    public static (DevelopmentAuthorizationRequest? Request, string? Problem) FromQuery(IQueryCollection query, Func<Uri, bool> isAllowedRedirect, DateTimeOffset expiresAt)
    {
        foreach (var name in new[] { "response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope" })
        {
            // RFC 6749 §3.1: request and response parameters must not be included more than once.
            if (query[name].Count > 1)
            {
                return (null, $"The parameter {name} appears more than once.");
            }

            if (query[name].ToString().Length > MaxValueLength)
            {
                return (null, $"The parameter {name} is too long.");
            }
        }

        string? clientId = query["client_id"];
        if (string.IsNullOrEmpty(clientId))
        {
            return (null, "client_id is missing.");
        }

        if (RedirectProblem(query["redirect_uri"], isAllowedRedirect) is { } redirectProblem)
        {
            return (null, redirectProblem);
        }

        if (query["response_type"] != "code")
        {
            return (null, "response_type must be code: this provider implements the authorization code grant only.");
        }

        string? challenge = query["code_challenge"];
        if (string.IsNullOrEmpty(challenge))
        {
            return (null, "code_challenge is missing: this provider requires PKCE (RFC 7636).");
        }

        // RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA256(verifier)), 43 characters.
        if (challenge.Length != 43 || !Base64Url.IsValid(challenge))
        {
            return (null, "code_challenge is not an S256 challenge (43 base64url characters).");
        }

        // RFC 7636 §4.3: a missing method means plain, which this provider refuses.
        if (query["code_challenge_method"] != "S256")
        {
            return (null, "code_challenge_method must be S256.");
        }

        string? state = query["state"];
        string? scope = query["scope"];
        return (new DevelopmentAuthorizationRequest(clientId, query["redirect_uri"]!, string.IsNullOrEmpty(state) ? null : state, challenge, string.IsNullOrEmpty(scope) ? null : scope, expiresAt), null);
    }

    /// <summary>The redirect URI an authorization response may go to: absolute http(s), no fragment (RFC 6749 §3.1.2), no user info, on an allowed origin.</summary>
    private static string? RedirectProblem(string? value, Func<Uri, bool> isAllowedRedirect)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "redirect_uri is missing.";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !value.Contains("://", StringComparison.Ordinal))
        {
            return "redirect_uri must be an absolute http or https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || value.Contains('#', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal))
        {
            return "redirect_uri must not carry user info, a fragment or a backslash.";
        }

        return isAllowedRedirect(uri)
            ? null
            : "redirect_uri is not on Gatehouse's own origin nor on one of Gatehouse:Frontend:Origins.";
    }

    /// <summary>The request as one opaque value: base64url(JSON) "." base64url(HMAC-SHA256).</summary>
    public string Protect(ReadOnlySpan<byte> key)
    {
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));
        return payload + "." + Base64Url.EncodeToString(Tag(key, payload));
    }

    /// <summary>The request a <see cref="Protect"/> value carries, or null when it was altered, is malformed or has expired.</summary>
    public static DevelopmentAuthorizationRequest? Unprotect(string? value, ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 4 * MaxValueLength)
        {
            return null;
        }

        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !Base64Url.IsValid(value.AsSpan(dot + 1)) || !Base64Url.IsValid(value.AsSpan(0, dot)))
        {
            return null;
        }

        var payload = value[..dot];
        if (!CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(value.AsSpan(dot + 1)), Tag(key, payload)))
        {
            return null;
        }

        var request = JsonSerializer.Deserialize<DevelopmentAuthorizationRequest>(Base64Url.DecodeFromChars(payload));
        return request is not null && request.ExpiresAt > now ? request : null;
    }

    private static byte[] Tag(ReadOnlySpan<byte> key, string payload) =>
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes("gatehouse-dev-authorize." + payload));
}
