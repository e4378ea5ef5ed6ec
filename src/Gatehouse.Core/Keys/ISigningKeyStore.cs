namespace Gatehouse.Core.Keys;

public interface ISigningKeyStore
{
    /// <summary>Every key not yet past <see cref="SigningKeyRecord.ExpiresAt"/>.</summary>
    Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken);

    Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken);

    /// <summary>
    /// Adds <paramref name="key"/> unless a stored key already signs at <paramref name="now"/> (activated, not retired,
    /// not expired), as one step for every instance that shares the store: instances that start together on an empty
    /// store make one key between them, not one each.
    /// </summary>
    /// <returns>Whether the key was added.</returns>
    Task<bool> AddUnlessOneSignsAsync(SigningKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Sets when a key stops signing and when it leaves the JWKS.</summary>
    Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Deletes keys whose <see cref="SigningKeyRecord.ExpiresAt"/> has passed.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
