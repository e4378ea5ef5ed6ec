using System.Buffers.Text;
using System.Security.Cryptography;

namespace Gatehouse.Core;

/// <summary>Random 128-bit identifiers written as 22 base64url characters.</summary>
internal static class Base64Id
{
    public const int Length = 22;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool IsWellFormed(string? value)
    {
        // TryDecodeFromChars throws on characters outside the alphabet; IsValid screens them first.
        if (value is null || value.Length != Length || !Base64Url.IsValid(value))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        return Base64Url.TryDecodeFromChars(value, bytes, out var written) && written == 16;
    }
}
