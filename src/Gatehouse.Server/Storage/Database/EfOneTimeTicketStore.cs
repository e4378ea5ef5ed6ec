using Gatehouse.Core.Sessions;
using Gatehouse.Core.Social;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// One-time tickets in the database. A take is one <c>DELETE … RETURNING</c> (SQLite 3.35+, PostgreSQL): of
/// concurrent takes of one key exactly one deletes the row and gets it back. An expired row is deleted by the take
/// that finds it and reported as absent; rows nobody takes are deleted by <see cref="ExpiredSessionSweeper"/>.
/// </summary>
internal sealed class EfOneTimeTicketStore(IDbContextFactory<GatehouseDbContext> contexts, TimeProvider time) : IOneTimeTicketStore
{
    /// <exception cref="InvalidOperationException">A ticket with this key is stored already (keys are digests of fresh secrets, so never in practice).</exception>
    public Task StoreAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var row = new OneTimeTicketRow { Key = key, Value = value.ToArray(), ExpiresAt = StoredTime.Normalize(expiresAt) };
        return RunAsync(
            async db =>
            {
                db.OneTimeTickets.Add(row);
                try
                {
                    return await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
                {
                    throw new InvalidOperationException("A one-time ticket with this key is stored already.", e);
                }
            },
            cancellationToken);
    }

    public Task<byte[]?> TakeAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);

        // PostgreSQL text cannot hold NUL (22021), so no stored key contains one.
        if (key.Contains('\0', StringComparison.Ordinal))
        {
            return Task.FromResult<byte[]?>(null);
        }

        var now = StoredTime.Normalize(time.GetUtcNow());
        return RunAsync(
            async db =>
            {
                // Not composed with anything, so EF Core sends the statement as written and maps the returned columns
                // (times through the provider's converter) onto the row.
                var taken = await db.OneTimeTickets
                    .FromSql($"""DELETE FROM one_time_tickets WHERE "key" = {key} RETURNING *""")
                    .AsNoTracking()
                    .ToListAsync(cancellationToken);
                return taken is [var row] && row.ExpiresAt > now ? row.Value : null;
            },
            cancellationToken);
    }

    private async Task<T> RunAsync<T>(Func<GatehouseDbContext, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await work(db);
        }
        catch (Exception e) when (e is not OperationCanceledException && DatabaseErrors.IsUnavailable(e))
        {
            throw new SessionStoreUnavailableException("The ticket database cannot be reached or stayed locked.", e);
        }
    }
}
