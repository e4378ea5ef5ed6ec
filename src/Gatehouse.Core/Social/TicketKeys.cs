using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Social;

/// <summary>Secrets handed to clients (a state, a signup token) and the digests they are stored under.</summary>
public static class TicketKeys
{
    /// <summary>256 random bits, base64url: unguessable, URL-safe.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The store key for <paramref name="secret"/>: a reader of the store learns no usable secret.</summary>
    public static string For(string purpose, string secret) => purpose + ":" + Digest(secret);

    /// <summary>base64url(SHA-256(<paramref name="secret"/>)): also the PKCE S256 challenge of a verifier (RFC 7636 §4.2).</summary>
    public static string Digest(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), digest);
        return Base64Url.EncodeToString(digest);
    }

    /// <summary>Secrets are base64url of 32 bytes; anything else is refused before any store is asked.</summary>
    public static bool LooksValid(string? secret) => secret is { Length: 43 } && Base64Url.IsValid(secret);
}
