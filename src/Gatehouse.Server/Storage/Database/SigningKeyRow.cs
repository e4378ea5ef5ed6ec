namespace Gatehouse.Server.Storage.Database;

/// <summary>A row of <c>signing_keys</c>; the private part is sealed with the master key before it gets here.</summary>
internal sealed class SigningKeyRow
{
    public required string Kid { get; set; }

    public required string Algorithm { get; set; }

    public required string PublicJwk { get; set; }

    public required byte[] SealedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ActivatesAt { get; set; }

    public DateTimeOffset? RetiresAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}
