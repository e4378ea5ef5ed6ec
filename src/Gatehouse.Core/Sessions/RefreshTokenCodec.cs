using System.Buffers.Text;
using System.Security.Cryptography;
using Gatehouse.Core.Keys;

namespace Gatehouse.Core.Sessions;

/// <summary>
/// Refresh tokens are <c>base64url(sid ‖ secret ‖ tag)</c>: 16 + 32 + 16 bytes. The secret carries 256 random bits;
/// only a digest of it is stored: SHA-256 truncated to 128 bits, which still leaves 2^128 work to find a preimage and
/// keeps a Redis session under its memory budget (docs/architecture.md). The tag (a truncated HMAC under a key derived from the master key) proves the token was
/// issued by this deployment for this sid, so a forged token that names a real sid is refused without revoking
/// anything, while a genuine dead token of the family is recognised as reuse (docs/architecture.md).
/// </summary>
public sealed class RefreshTokenCodec
{
    public const int EncodedLength = 86;
    private const int SidSize = 16;
    private const int SecretSize = 32;
    private const int TagSize = 16;
    private const int TotalSize = SidSize + SecretSize + TagSize;
    private const int HashSize = 16;
    private const int NonceSize = 16;
    private readonly byte[] _tagKey;

    public RefreshTokenCodec(MasterKey masterKey)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        _tagKey = masterKey.DeriveKey("refresh-token-tag");
    }

    public IssuedRefreshToken CreateInitial(SessionId sessionId)
    {
        Span<byte> secret = stackalloc byte[SecretSize];
        RandomNumberGenerator.Fill(secret);
        return Encode(sessionId, secret);
    }

    /// <summary>The successor of <paramref name="presented"/> for a rotation with <paramref name="nonce"/>: HMAC-SHA256(presented secret, nonce).</summary>
    public IssuedRefreshToken CreateSuccessor(ParsedRefreshToken presented, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(presented);
        Span<byte> secret = stackalloc byte[SecretSize];
        HMACSHA256.HashData(presented.Secret, nonce, secret);
        return Encode(presented.SessionId, secret);
    }

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceSize);

    /// <summary>What a store keeps of a token's secret.</summary>
    public static byte[] Digest(ReadOnlySpan<byte> secret) => SHA256.HashData(secret)[..HashSize];

    public bool TryParse(string? token, out ParsedRefreshToken parsed)
    {
        parsed = null!;
        // TryDecodeFromChars throws on characters outside the alphabet; IsValid screens them first.
        if (token is null || token.Length != EncodedLength || !Base64Url.IsValid(token))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[TotalSize];
        if (!Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != TotalSize)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_tagKey, bytes[..(SidSize + SecretSize)], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected[..TagSize], bytes[(SidSize + SecretSize)..]))
        {
            return false;
        }

        var secret = bytes.Slice(SidSize, SecretSize).ToArray();
        parsed = new ParsedRefreshToken(new SessionId(Base64Url.EncodeToString(bytes[..SidSize])), secret, Digest(secret));
        return true;
    }

    private IssuedRefreshToken Encode(SessionId sessionId, ReadOnlySpan<byte> secret)
    {
        Span<byte> bytes = stackalloc byte[TotalSize];
        if (!Base64Url.TryDecodeFromChars(sessionId.Value, bytes[..SidSize], out var written) || written != SidSize)
        {
            throw new ArgumentException("Not a session id.", nameof(sessionId));
        }

        secret.CopyTo(bytes.Slice(SidSize, SecretSize));
        Span<byte> tag = stackalloc byte[32];
        HMACSHA256.HashData(_tagKey, bytes[..(SidSize + SecretSize)], tag);
        tag[..TagSize].CopyTo(bytes[(SidSize + SecretSize)..]);
        return new IssuedRefreshToken(Base64Url.EncodeToString(bytes), Digest(secret));
    }
}

/// <param name="Hash">The digest of the secret (<see cref="RefreshTokenCodec.Digest"/>): all a store ever keeps.</param>
public sealed record IssuedRefreshToken(string Value, byte[] Hash);

public sealed record ParsedRefreshToken(SessionId SessionId, byte[] Secret, byte[] Hash);
