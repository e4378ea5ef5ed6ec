using System.Runtime.CompilerServices;
using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Outbox;

/// <summary>What one attempt of a step came to.</summary>
internal enum StepOutcome
{
    Done,

    /// <summary>A transient failure: try again after the backoff (dead-lettered once the attempts run out).</summary>
    Retry,

    /// <summary>A permanent failure: dead-lettered now.</summary>
    Failed,
}

/// <param name="Note">Why, for the attempt's record: an error, or why a step was skipped. Never a secret.</param>
internal readonly record struct StepResult(StepOutcome Outcome, string? Note = null, int? StatusCode = null);

/// <summary>
/// The outbox table: claimed under a lease by one instance at a time, completed only by the lease holder, listed and
/// retried by the admin API. Each call is one short unit of work.
/// </summary>
internal sealed class OutboxStore(IDbContextFactory<GatehouseDbContext> contexts)
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due entries for <paramref name="owner"/> until <paramref name="leaseUntil"/>
    /// in one statement. PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c> in the sub-select, so concurrent claims take disjoint
    /// rows without waiting for one another (a row another claim updated meanwhile is re-checked and dropped). SQLite:
    /// the statement holds the database's single write lock, so claims are one after the other. An entry whose lease
    /// ran out (its instance died) is due again.
    /// </summary>
    public async Task<IReadOnlyList<OutboxEntryRow>> ClaimAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var postgres = db is PostgresGatehouseDbContext;

        // Times as each database stores them: timestamptz (UTC) on PostgreSQL, unix milliseconds on SQLite.
        // A read first: most polls find nothing, and on SQLite a read does not take the single write lock that every
        // login and refresh needs.
        var dueAt = StoredTime.Normalize(now);
        if (!await db.OutboxEntries.AnyAsync(e => e.Status == OutboxStatus.Pending && e.NextAttemptAt <= dueAt && (e.LeaseExpiresAt == null || e.LeaseExpiresAt <= dueAt), cancellationToken))
        {
            return [];
        }

        object at = postgres ? dueAt : now.ToUnixTimeMilliseconds();
        object until = postgres ? StoredTime.Normalize(leaseUntil) : leaseUntil.ToUnixTimeMilliseconds();
        var claim = db.OutboxEntries.FromSql(FormattableStringFactory.Create(
            """
            UPDATE outbox_entries SET lease_owner = {0}, lease_expires_at = {1}
            WHERE id IN (
                SELECT id FROM outbox_entries
                WHERE status = {2} AND next_attempt_at <= {3} AND (lease_expires_at IS NULL OR lease_expires_at <= {3})
                ORDER BY next_attempt_at, id
                LIMIT {4}
            """ + (postgres ? " FOR UPDATE SKIP LOCKED)" : ")") + " RETURNING *",
            owner,
            until,
            OutboxStatus.Pending,
            at,
            limit));
        return await claim.AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Records an attempt and moves the entry on (done, due again after <paramref name="retryAt"/>, or dead), only if
    /// <paramref name="owner"/> still holds its lease: an instance that overran its lease lets the new holder decide.
    /// </summary>
    /// <param name="retryAt">When to try again after a <see cref="StepOutcome.Retry"/>; null when the attempts are used up.</param>
    public async Task<bool> CompleteAsync(OutboxEntryRow entry, string owner, StepResult result, DateTimeOffset startedAt, TimeSpan duration, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = StoredTime.Normalize(startedAt + duration);
        var (status, next, completed) = result.Outcome switch
        {
            StepOutcome.Done => (OutboxStatus.Done, entry.NextAttemptAt, (DateTimeOffset?)now),
            StepOutcome.Retry when retryAt is { } at => (OutboxStatus.Pending, StoredTime.Normalize(at), null),
            _ => (OutboxStatus.Dead, entry.NextAttemptAt, now),
        };
        var error = result.Outcome == StepOutcome.Done ? null : Truncate(result.Note);
        var payload = status == OutboxStatus.Pending ? entry.Payload : OutboxEntries.PayloadWhenFinished(entry);
        var id = entry.Id;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var updated = await db.OutboxEntries
            .Where(e => e.Id == id && e.LeaseOwner == owner && e.Status == OutboxStatus.Pending)
            .ExecuteUpdateAsync(
                s => s
                    .SetProperty(e => e.Status, status)
                    .SetProperty(e => e.Payload, payload)
                    .SetProperty(e => e.Attempts, e => e.Attempts + 1)
                    .SetProperty(e => e.NextAttemptAt, next)
                    .SetProperty(e => e.LeaseOwner, (string?)null)
                    .SetProperty(e => e.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(e => e.LastError, error)
                    .SetProperty(e => e.CompletedAt, completed),
                cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        db.OutboxAttempts.Add(new OutboxAttemptRow
        {
            EntryId = id,
            AttemptedAt = StoredTime.Normalize(startedAt),
            DurationMs = (int)Math.Min(int.MaxValue, duration.TotalMilliseconds),
            Outcome = result.Outcome switch { StepOutcome.Done => "succeeded", StepOutcome.Retry => "retry", _ => "failed" },
            StatusCode = result.StatusCode,
            Error = Truncate(result.Note),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Adds entries in their own transaction (events that follow no database change of their own).</summary>
    public async Task AddAsync(IEnumerable<OutboxEntryRow> entries, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.OutboxEntries.AddRange(entries);
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxEntryRow>> ListAsync(string? kind, string? status, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.OutboxEntries.AsNoTracking();
        if (kind is not null)
        {
            query = query.Where(e => e.Kind == kind);
        }

        if (status is not null)
        {
            query = query.Where(e => e.Status == status);
        }

        if (before is { } cursor)
        {
            query = query.Where(e => e.Id < cursor);
        }

        return await query.OrderByDescending(e => e.Id).Take(limit).ToListAsync(cancellationToken);
    }

    public async Task<(OutboxEntryRow Entry, IReadOnlyList<OutboxAttemptRow> Attempts)?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entry = await db.OutboxEntries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entry is null)
        {
            return null;
        }

        var attempts = await db.OutboxAttempts.AsNoTracking().Where(a => a.EntryId == id).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        return (entry, attempts);
    }

    /// <summary>
    /// Makes an entry due now with a fresh set of attempts (an operator's retry of a dead letter, or a redelivery);
    /// false when it does not exist or an instance holds its lease right now.
    /// </summary>
    public async Task<bool> RetryAsync(long id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = StoredTime.Normalize(now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.OutboxEntries
            .Where(e => e.Id == id && (e.LeaseExpiresAt == null || e.LeaseExpiresAt <= at))
            .ExecuteUpdateAsync(
                s => s
                    .SetProperty(e => e.Status, OutboxStatus.Pending)
                    .SetProperty(e => e.Attempts, 0)
                    .SetProperty(e => e.NextAttemptAt, at)
                    .SetProperty(e => e.CompletedAt, (DateTimeOffset?)null),
                cancellationToken);
        return updated == 1;
    }

    /// <summary>Deletes done entries completed before <paramref name="before"/>, with their attempts, in batches; returns how many. Dead ones stay.</summary>
    public async Task<int> SweepAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int BatchSize = 1000;
        var cutoff = StoredTime.Normalize(before);
        var total = 0;
        int deleted;
        do
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var ids = await db.OutboxEntries
                .Where(e => e.Status == OutboxStatus.Done && e.CompletedAt < cutoff)
                .OrderBy(e => e.Id)
                .Select(e => e.Id)
                .Take(BatchSize)
                .ToListAsync(cancellationToken);
            await db.OutboxAttempts.Where(a => ids.Contains(a.EntryId)).ExecuteDeleteAsync(cancellationToken);
            deleted = await db.OutboxEntries.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == BatchSize);

        return total;
    }

    private static string? Truncate(string? note) => note is { Length: > 500 } ? note[..500] : note;
}
