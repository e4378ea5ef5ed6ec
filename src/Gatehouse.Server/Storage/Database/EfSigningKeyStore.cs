using Gatehouse.Core.Keys;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Signing keys in the database; every instance of a deployment reads the same ring.</summary>
internal sealed class EfSigningKeyStore(IDbContextFactory<GatehouseDbContext> contexts, TimeProvider time) : ISigningKeyStore
{
    /// <summary>An arbitrary, fixed advisory-lock key: "Gatehouse's first signing key".</summary>
    private const string FirstKeyLockKey = "4747010102";

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
        db.SigningKeys.Add(ToRow(key));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// The check and the insert in one transaction that holds, from before the check, what other instances need to make
    /// the same check: SQLite's single write lock (<c>BEGIN IMMEDIATE</c>, Microsoft.Data.Sqlite's default) or, on
    /// PostgreSQL, a transaction-level advisory lock.
    /// </summary>
    public async Task<bool> AddUnlessOneSignsAsync(SigningKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = StoredTime.Normalize(now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db is PostgresGatehouseDbContext)
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(" + FirstKeyLockKey + ")", cancellationToken);
        }

        // SigningKeyRecord.SignsAt, as SQL (and no expired key, which a retired one already excludes).
        var oneSigns = await db.SigningKeys.AnyAsync(
            k => k.ActivatesAt <= at && (k.RetiresAt == null || k.RetiresAt > at) && (k.ExpiresAt == null || k.ExpiresAt > at),
            cancellationToken);
        if (oneSigns)
        {
            return false;
        }

        db.SigningKeys.Add(ToRow(key));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
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

    private static SigningKeyRow ToRow(SigningKeyRecord key) => new()
    {
        Kid = key.KeyId,
        Algorithm = key.Algorithm,
        PublicJwk = key.PublicJwk,
        SealedPrivateKey = key.SealedPrivateKey,
        CreatedAt = StoredTime.Normalize(key.CreatedAt),
        ActivatesAt = StoredTime.Normalize(key.ActivatesAt),
        RetiresAt = StoredTime.Normalize(key.RetiresAt),
        ExpiresAt = StoredTime.Normalize(key.ExpiresAt),
    };

    private static SigningKeyRecord ToRecord(SigningKeyRow row) =>
        new(row.Kid, row.Algorithm, row.PublicJwk, row.SealedPrivateKey, row.CreatedAt, row.ActivatesAt, row.RetiresAt, row.ExpiresAt);
}
