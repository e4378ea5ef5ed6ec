using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.AspNetCore.Tokens;

/// <summary>SHA-256 of a token's bytes: the validated-token cache key. 32 bytes whatever the token's size, equal only for the very same token.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct TokenHash : IEquatable<TokenHash>
{
    private const int StackLimit = 2048;

    private readonly ulong _part0;
    private readonly ulong _part1;
    private readonly ulong _part2;
    private readonly ulong _part3;

    /// <summary>
    /// Hashes <paramref name="token"/>, which must be ASCII: a compact JWS is base64url and dots
    /// (RFC 7515 §7.1), so anything else is refused before it costs more than this check.
    /// </summary>
    public static bool TryCompute(string token, out TokenHash hash)
    {
        byte[]? rented = null;
        var ascii = token.Length <= StackLimit ? stackalloc byte[token.Length] : (rented = ArrayPool<byte>.Shared.Rent(token.Length)).AsSpan(0, token.Length);
        try
        {
            if (Ascii.FromUtf16(token, ascii, out _) != OperationStatus.Done)
            {
                hash = default;
                return false;
            }

            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(ascii, digest);
            hash = MemoryMarshal.Read<TokenHash>(digest);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public bool Equals(TokenHash other) =>
        _part0 == other._part0 && _part1 == other._part1 && _part2 == other._part2 && _part3 == other._part3;

    public override bool Equals(object? obj) => obj is TokenHash other && Equals(other);

    // SHA-256 output is uniform, and only tokens that passed validation are ever stored, so no one can
    // choose colliding buckets.
    public override int GetHashCode() => (int)_part0;

    /// <summary>64 bits of the digest other than the ones <see cref="GetHashCode"/> uses, for the cache's admission table.</summary>
    public long Fingerprint => (long)_part1;

    public static bool operator ==(TokenHash left, TokenHash right) => left.Equals(right);

    public static bool operator !=(TokenHash left, TokenHash right) => !left.Equals(right);
}
