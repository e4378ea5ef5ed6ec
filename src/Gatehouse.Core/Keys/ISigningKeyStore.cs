namespace Gatehouse.Core.Keys;

public interface ISigningKeyStore
{
    /// <summary>Every key not yet past <see cref="SigningKeyRecord.ExpiresAt"/>.</summary>
    Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken);

    Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Sets when a key stops signing and when it leaves the JWKS.</summary>
    Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Deletes keys whose <see cref="SigningKeyRecord.ExpiresAt"/> has passed.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
