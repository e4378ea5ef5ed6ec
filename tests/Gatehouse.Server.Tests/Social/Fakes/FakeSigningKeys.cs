using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>
/// The fake's id-token keys: RSA 2048, RS256, as Google, Apple, Slack and Kakao sign. Tokens are assembled by hand
/// here so that they can be broken on purpose (<see cref="IdTokenTampering"/>).
/// </summary>
internal sealed class FakeSigningKeys : IDisposable
{
    private readonly Lock _gate = new();
    private readonly RSA _foreign = RSA.Create(2048);
    private (string Kid, RSA Key) _current = NewKey();

    /// <summary>The published key set: only the current key.</summary>
    public string Jwks()
    {
        lock (_gate)
        {
            var parameters = _current.Key.ExportParameters(includePrivateParameters: false);
            return JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = _current.Kid, n = Base64Url.EncodeToString(parameters.Modulus), e = Base64Url.EncodeToString(parameters.Exponent) },
                },
            });
        }
    }

    /// <summary>A new key replaces the current one (a provider's key rotation): tokens signed now name a kid clients have not seen.</summary>
    public void Rotate()
    {
        lock (_gate)
        {
            var old = _current.Key;
            _current = NewKey();
            old.Dispose();
        }
    }

    public string Sign(IReadOnlyDictionary<string, object?> claims, IdTokenTampering tampering)
    {
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        lock (_gate)
        {
            switch (tampering)
            {
                case IdTokenTampering.AlgNone:
                    return $"{Header(new { alg = "none", typ = "JWT" })}.{payload}.";
                case IdTokenTampering.SymmetricAlgorithm:
                    var mac = _current.Key.ExportParameters(false).Modulus!;
                    var hs = $"{Header(new { alg = "HS256", typ = "JWT", kid = _current.Kid })}.{payload}";
                    return $"{hs}.{Encode(HMACSHA256.HashData(mac, Encoding.ASCII.GetBytes(hs)))}";
                case IdTokenTampering.ForeignKey:
                    return SignWith(_foreign, "not-published", payload, tamper: false);
                default:
                    return SignWith(_current.Key, _current.Kid, payload, tamper: tampering == IdTokenTampering.BadSignature);
            }
        }
    }

    public void Dispose()
    {
        _current.Key.Dispose();
        _foreign.Dispose();
    }

    private static string SignWith(RSA key, string kid, string payload, bool tamper)
    {
        var signingInput = $"{Header(new { alg = "RS256", typ = "JWT", kid })}.{payload}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (tamper)
        {
            signature[^1] ^= 0x5a;
            signature[10] ^= 0x5a;
        }

        return $"{signingInput}.{Encode(signature)}";
    }

    private static (string Kid, RSA Key) NewKey() => ("fake-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), RSA.Create(2048));

    private static string Header(object header) => Encode(JsonSerializer.SerializeToUtf8Bytes(header));

    private static string Encode(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
