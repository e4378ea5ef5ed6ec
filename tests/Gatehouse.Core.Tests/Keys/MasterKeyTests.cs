using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Keys;

namespace Gatehouse.Core.Tests.Keys;

public sealed class MasterKeyTests
{
    [Fact]
    public void Sealed_data_opens_with_the_same_key_and_purpose()
    {
        var key = MasterKey.Generate();
        var secret = Encoding.UTF8.GetBytes("private key bytes");

        var sealedData = key.Seal(secret, "signing-key/k1");

        Assert.DoesNotContain("private key", Encoding.UTF8.GetString(sealedData), StringComparison.Ordinal);
        Assert.Equal(secret, key.Unseal(sealedData, "signing-key/k1"));
    }

    [Fact]
    public void Another_purpose_another_key_or_a_flipped_bit_cannot_open_it()
    {
        var key = MasterKey.Generate();
        var sealedData = key.Seal([1, 2, 3], "signing-key/k1");

        Assert.ThrowsAny<CryptographicException>(() => key.Unseal(sealedData, "signing-key/k2"));
        Assert.ThrowsAny<CryptographicException>(() => MasterKey.Generate().Unseal(sealedData, "signing-key/k1"));
        sealedData[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => key.Unseal(sealedData, "signing-key/k1"));
        Assert.ThrowsAny<CryptographicException>(() => key.Unseal([1, 2, 3], "signing-key/k1"));
    }

    [Fact]
    public void Derived_keys_differ_by_purpose_and_are_stable()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        var a = new MasterKey(bytes);
        var b = new MasterKey(bytes);

        Assert.Equal(a.DeriveKey("refresh-token-tag"), b.DeriveKey("refresh-token-tag"));
        Assert.NotEqual(a.DeriveKey("refresh-token-tag"), a.DeriveKey("seal/x"));
    }

    [Fact]
    public void A_key_of_the_wrong_length_is_refused() =>
        Assert.Throws<ArgumentException>(() => new MasterKey(new byte[16]));
}
