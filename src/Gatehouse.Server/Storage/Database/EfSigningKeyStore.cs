using Gatehouse.Core.Keys;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Signing keys in the database; every instance of a deployment reads the same ring.</summary>
internal sealed class EfSigningKeyStore(IDbContextFactory<GatehouseDbContext> contexts, TimeProvider time) : ISigningKeyStore
{
    public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var now = StoredTime.Normalize(time.GetUtcNow());
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.SigningKeys
            .AsNoTracking()
            .Where(k => k.ExpiresAt == null || k.ExpiresAt > now)
            .OrderBy(k => k.CreatedAt)
            .ThenBy(k => k.Kid)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(ToRecord);
    }

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.SigningKeys.Add(new SigningKeyRow
        {
            Kid = key.KeyId,
            Algorithm = key.Algorithm,
            PublicJwk = key.PublicJwk,
            SealedPrivateKey = key.SealedPrivateKey,
            CreatedAt = StoredTime.Normalize(key.CreatedAt),
            ActivatesAt = StoredTime.Normalize(key.ActivatesAt),
            RetiresAt = StoredTime.Normalize(key.RetiresAt),
            ExpiresAt = StoredTime.Normalize(key.ExpiresAt),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        DateTimeOffset? retires = StoredTime.Normalize(retiresAt);
        DateTimeOffset? expires = StoredTime.Normalize(expiresAt);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.SigningKeys
            .Where(k => k.Kid == keyId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiresAt, retires).SetProperty(k => k.ExpiresAt, expires), cancellationToken);
    }

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        DateTimeOffset? cutoff = StoredTime.Normalize(now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.SigningKeys.Where(k => k.ExpiresAt != null && k.ExpiresAt <= cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    private static SigningKeyRecord ToRecord(SigningKeyRow row) =>
        new(row.Kid, row.Algorithm, row.PublicJwk, row.SealedPrivateKey, row.CreatedAt, row.ActivatesAt, row.RetiresAt, row.ExpiresAt);
}
