namespace Gatehouse.Core.Keys;

/// <summary>
/// A persisted signing key. The private part is sealed with the master key (AES-256-GCM) before it is stored.
/// Its life: published from <see cref="CreatedAt"/>; signs from <see cref="ActivatesAt"/> (after verifiers had time to
/// fetch the JWKS) until <see cref="RetiresAt"/>; stays published until <see cref="ExpiresAt"/>, when every
/// token it signed has expired.
/// </summary>
public sealed record SigningKeyRecord(
    string KeyId,
    string Algorithm,
    string PublicJwk,
    byte[] SealedPrivateKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset ActivatesAt,
    DateTimeOffset? RetiresAt,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Whether the key signs at <paramref name="now"/>: activated and not yet retired.</summary>
    public bool SignsAt(DateTimeOffset now) => ActivatesAt <= now && (RetiresAt is null || RetiresAt > now);
}
