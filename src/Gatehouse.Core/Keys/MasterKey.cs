using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Keys;

/// <summary>
/// The deployment's root secret. Nothing is encrypted with it directly: HKDF-SHA256 (RFC 5869) derives one key per
/// purpose, so a key used to seal signing keys is never also a MAC key.
/// </summary>
public sealed class MasterKey
{
    public const int Length = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public MasterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Length)
        {
            throw new ArgumentException($"A master key is {Length} bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    public byte[] DeriveKey(string purpose, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: null, info: Encoding.UTF8.GetBytes("gatehouse/" + purpose));

    /// <summary>AES-256-GCM with a key derived for <paramref name="purpose"/>; the purpose is also the associated data.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var key = DeriveKey("seal/" + purpose);
        try
        {
            var output = new byte[NonceSize + plaintext.Length + TagSize];
            var nonce = output.AsSpan(0, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(purpose));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <exception cref="CryptographicException">The data was sealed with another master key or was altered.</exception>
    public byte[] Unseal(ReadOnlySpan<byte> sealedData, string purpose)
    {
        if (sealedData.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The sealed data is too short.");
        }

        var key = DeriveKey("seal/" + purpose);
        try
        {
            var length = sealedData.Length - NonceSize - TagSize;
            var plaintext = new byte[length];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedData[..NonceSize], sealedData.Slice(NonceSize, length), sealedData[(NonceSize + length)..], plaintext, Encoding.UTF8.GetBytes(purpose));
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
