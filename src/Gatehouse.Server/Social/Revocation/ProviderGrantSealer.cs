using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Core.Keys;

namespace Gatehouse.Server.Social.Revocation;

/// <summary>
/// Seals a <see cref="ProviderGrant"/> with the master key (AES-256-GCM, a key derived for <see cref="Purpose"/> only)
/// before it is kept anywhere: on the identity, or inside a pending sign-up's ticket. Nothing else can open it.
/// </summary>
internal sealed class ProviderGrantSealer(MasterKey masterKey)
{
    public const string Purpose = "provider-grant";

    public byte[] Seal(ProviderGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Sealed(grant.AccessToken, grant.RefreshToken, grant.ExpiresAt?.ToUnixTimeSeconds()));
        try
        {
            return masterKey.Seal(json, Purpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Null when the bytes were sealed with another master key, altered, or are not a grant.</summary>
    public ProviderGrant? TryUnseal(byte[]? sealedGrant)
    {
        if (sealedGrant is null)
        {
            return null;
        }

        byte[] json;
        try
        {
            json = masterKey.Unseal(sealedGrant, Purpose);
        }
        catch (CryptographicException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Sealed>(json) is { AccessToken.Length: > 0 } grant
                ? new ProviderGrant(grant.AccessToken, grant.RefreshToken, grant.ExpiresAt is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) : null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    private sealed record Sealed(
        [property: JsonPropertyName("a")] string AccessToken,
        [property: JsonPropertyName("r")] string? RefreshToken,
        [property: JsonPropertyName("e")] long? ExpiresAt);
}
