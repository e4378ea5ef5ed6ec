using System.Collections.Frozen;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.AspNetCore.Discovery;

/// <summary>One fetch of the issuer's discovery document and JWKS. Immutable; a refresh makes a new one.</summary>
internal sealed class IssuerMetadata
{
    private IssuerMetadata(string issuer, IReadOnlyList<SecurityKey> signingKeys, FrozenSet<string> keyFingerprints, long generation, DateTimeOffset fetchedAt)
    {
        Issuer = issuer;
        SigningKeys = signingKeys;
        KeyFingerprints = keyFingerprints;
        Generation = generation;
        FetchedAt = fetchedAt;
    }

    /// <summary>The <c>issuer</c> of the discovery document; an access token's <c>iss</c> must equal it.</summary>
    public string Issuer { get; }

    /// <summary>The signature keys of the JWKS that have a <c>kid</c> (Gatehouse always sets one).</summary>
    public IReadOnlyList<SecurityKey> SigningKeys { get; }

    /// <summary>
    /// Advances only when a key we trusted before is gone (or changed, or the issuer changed). A validated
    /// token is remembered with the generation it was checked under, so a withdrawn key stops being honoured
    /// from the cache as soon as we have seen it withdrawn; new keys appearing (the usual rotation) keep the cache.
    /// </summary>
    public long Generation { get; }

    public DateTimeOffset FetchedAt { get; }

    private FrozenSet<string> KeyFingerprints { get; }

    public static IssuerMetadata Create(OpenIdConnectConfiguration configuration, IssuerMetadata? previous, DateTimeOffset fetchedAt)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var keys = new List<SecurityKey>();
        var fingerprints = new HashSet<string>(StringComparer.Ordinal);
        var thumbprints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var jwk in configuration.JsonWebKeySet?.Keys ?? [])
        {
            // RFC 7638 thumbprint: the same kid with other key material is a different key.
            if (!string.IsNullOrEmpty(jwk.KeyId) && jwk.CanComputeJwkThumbprint())
            {
                thumbprints.TryAdd(jwk.KeyId, Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()));
            }
        }

        foreach (var key in configuration.SigningKeys)
        {
            if (string.IsNullOrEmpty(key.KeyId))
            {
                continue;
            }

            keys.Add(key);
            fingerprints.Add(key.KeyId + " " + thumbprints.GetValueOrDefault(key.KeyId, ""));
        }

        var frozen = fingerprints.ToFrozenSet(StringComparer.Ordinal);
        var generation = previous is null ? 0
            : previous.Issuer == configuration.Issuer && previous.KeyFingerprints.IsSubsetOf(frozen) ? previous.Generation
            : previous.Generation + 1;
        return new IssuerMetadata(configuration.Issuer, keys, frozen, generation, fetchedAt);
    }
}
