using Gatehouse.Core.Events;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Outbox;
using Gatehouse.Server.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Withdrawal and provider deprovisioning, each one transaction that first locks the member (PostgreSQL:
/// <c>FOR UPDATE</c>; SQLite: <c>BEGIN IMMEDIATE</c> takes the single write lock before the first read), so a withdrawal
/// and an unlink or a second withdrawal of the same member run one after the other. The follow-up work is written to
/// the outbox in the same transaction; nothing is sent before the commit.
/// <para>
/// The webhooks that announce ended sessions (<c>member.withdrawn</c>, <c>session.revoked</c>) are written held, due
/// <see cref="WebhookHold"/> after the commit. Once committed, the store revokes the member's sessions itself and only
/// then makes them due (<see cref="FinishAsync"/>): a product that hears of it finds the refresh tokens already refused,
/// however slow the session store (Redis) is. Only a process that dies between the commit and that point leaves them to
/// the hold, and its <c>sessions.revoke</c> entry is due at once.
/// </para>
/// </summary>
internal sealed partial class EfWithdrawalStore(
    IDbContextFactory<GatehouseDbContext> contexts,
    IRefreshSessionStore sessions,
    IOptionsMonitor<WebhookOptions> webhooks,
    IOptionsMonitor<OutboxOptions> outbox,
    OutboxSignal signal,
    FaultPoints faults,
    ILogger<EfWithdrawalStore> logger) : IWithdrawalStore
{
    public const string RequestedReason = "requested";
    public const string DeprovisionedReason = "provider_deprovisioned";

    /// <summary>The longest the webhooks of a withdrawal or an unlink wait for the sessions' revocation.</summary>
    internal static readonly TimeSpan WebhookHold = TimeSpan.FromSeconds(5);

    public async Task<bool> WithdrawAsync(MemberId member, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await LockLiveMemberAsync(db, db.Members.Where(m => m.PublicId == member.Value), cancellationToken) is not { } row)
        {
            return false;
        }

        var held = await TombstoneAsync(db, row, RequestedReason, skipProvider: null, now, cancellationToken);
        await faults.ReachedAsync(FaultPoints.WithdrawalBeforeCommit);
        await transaction.CommitAsync(cancellationToken);
        await faults.ReachedAsync(FaultPoints.WithdrawalAfterCommit);
        await FinishAsync(row.PublicId, held, now);
        return true;
    }

    public async Task<(DeprovisionOutcome Outcome, MemberId? Member)> DeprovisionAsync(string provider, string subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(subject);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var owners = db.Members.Where(m => db.MemberIdentities.Any(i => i.MemberId == m.Id && i.Provider == provider && i.Subject == subject));
        if (await LockLiveMemberAsync(db, owners, cancellationToken) is not { } row)
        {
            return (DeprovisionOutcome.NotLinked, null);
        }

        var memberId = new MemberId(row.PublicId);
        var others = await db.MemberIdentities.CountAsync(i => i.MemberId == row.Id && i.Provider != provider, cancellationToken);
        if (row.PasswordHash is null && others == 0)
        {
            var withdrawnHeld = await TombstoneAsync(db, row, DeprovisionedReason, skipProvider: provider, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await FinishAsync(row.PublicId, withdrawnHeld, now);
            return (DeprovisionOutcome.Withdrawn, memberId);
        }

        await db.MemberIdentities.Where(i => i.MemberId == row.Id && i.Provider == provider).ExecuteDeleteAsync(cancellationToken);
        var revoked = MemberEvents.SessionsRevoked(row.PublicId, null, RevocationReasons.ProviderUnlinked, now);
        db.OutboxEntries.Add(OutboxEntries.RevokeSessions(revoked.Id, row.PublicId, now));
        var held = Held(OutboxEntries.Webhooks(revoked, webhooks.CurrentValue, now), now);
        db.OutboxEntries.AddRange(held);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await FinishAsync(row.PublicId, held, now);
        return (DeprovisionOutcome.Unlinked, memberId);
    }

    private static List<OutboxEntryRow> Held(IEnumerable<OutboxEntryRow> entries, DateTimeOffset now)
    {
        var held = entries.ToList();
        var due = StoredTime.Normalize(now + WebhookHold);
        foreach (var entry in held)
        {
            entry.NextAttemptAt = due;
        }

        return held;
    }

    /// <summary>
    /// After the commit: revokes the member's sessions, then makes the held webhooks due. Both are best effort and run to
    /// the end whatever the caller's token (the commit is done): when the session store fails, the committed
    /// <c>sessions.revoke</c> entry retries, and a store that cannot be reached refreshes nobody meanwhile; when the release
    /// fails, the webhooks go out when their hold ends.
    /// </summary>
    private async Task FinishAsync(string memberId, List<OutboxEntryRow> held, DateTimeOffset now)
    {
        try
        {
            await sessions.RevokeAllAsync(new MemberId(memberId), CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogImmediateRevocationFailed(logger, memberId, e);
        }

        if (held.Count > 0)
        {
            try
            {
                var ids = held.Select(e => e.Id).ToArray();
                var at = StoredTime.Normalize(now);
                await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
                await db.OutboxEntries
                    .Where(e => ids.Contains(e.Id) && e.Status == OutboxStatus.Pending && e.Attempts == 0 && e.LeaseExpiresAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.NextAttemptAt, at), CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReleaseFailed(logger, memberId, e);
            }
        }

        signal.Notify();
    }

    /// <summary>
    /// The live (not withdrawn) member the query names, its row locked until the transaction ends (also what a link locks:
    /// see <see cref="EfMemberIdentityStore.TryLinkAsync"/>).
    /// </summary>
    internal static async Task<MemberRow?> LockLiveMemberAsync(GatehouseDbContext db, IQueryable<MemberRow> query, CancellationToken cancellationToken)
    {
        var id = await query.Where(m => m.WithdrawnAt == null).Select(m => (long?)m.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is not { } internalId)
        {
            return null;
        }

        if (db is PostgresGatehouseDbContext)
        {
            // Re-read under the lock: a withdrawal that committed while this one waited leaves nothing to do.
            var locked = await db.Members.FromSql($"SELECT * FROM members WHERE id = {internalId} FOR UPDATE").AsNoTracking().ToListAsync(cancellationToken);
            return locked.SingleOrDefault(m => m.WithdrawnAt is null);
        }

        return await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == internalId, cancellationToken);
    }

    /// <summary>
    /// Deletes the personal data and identities (sealed grants with them) and every database session, keeps the row as a
    /// tombstone, and writes the outbox: revoke the sessions (Redis), revoke each provider but <paramref name="skipProvider"/>
    /// (the sealed grant copied into the entry, since the identity row goes), and the webhooks. Sessions are revoked twice:
    /// now, and once more after <see cref="OutboxOptions.LateRevocationDelay"/> for logins that were in flight.
    /// </summary>
    /// <returns>The held webhook entries (see <see cref="FinishAsync"/>).</returns>
    private async Task<List<OutboxEntryRow>> TombstoneAsync(GatehouseDbContext db, MemberRow row, string reason, string? skipProvider, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = StoredTime.Normalize(now);
        var identities = await db.MemberIdentities.AsNoTracking().Where(i => i.MemberId == row.Id)
            .Select(i => new { i.Provider, i.Subject, i.SealedGrant })
            .ToListAsync(cancellationToken);
        await db.MemberIdentities.Where(i => i.MemberId == row.Id).ExecuteDeleteAsync(cancellationToken);

        // Sessions in the database go in this same transaction; in Redis the outbox step (and the request, right after
        // the commit) revokes them.
        await db.RefreshSessions.Where(s => s.MemberId == row.PublicId).ExecuteDeleteAsync(cancellationToken);
        await db.Members.Where(m => m.Id == row.Id).ExecuteUpdateAsync(
            s => s
                .SetProperty(m => m.Email, (string?)null)
                .SetProperty(m => m.NormalizedEmail, (string?)null)
                .SetProperty(m => m.Nickname, string.Empty)
                .SetProperty(m => m.PasswordHash, (string?)null)
                .SetProperty(m => m.UpdatedAt, at)
                .SetProperty(m => m.WithdrawnAt, at),
            cancellationToken);

        var withdrawn = MemberEvents.Withdrawn(row.PublicId, reason, now);
        var revoked = MemberEvents.SessionsRevoked(row.PublicId, null, RevocationReasons.Withdrawal, now);
        db.OutboxEntries.Add(OutboxEntries.RevokeSessions(withdrawn.Id, row.PublicId, now));
        db.OutboxEntries.Add(OutboxEntries.RevokeSessions(withdrawn.Id + ":late", row.PublicId, now, dueAt: now + outbox.CurrentValue.LateRevocationDelay));
        foreach (var identity in identities.Where(i => !string.Equals(i.Provider, skipProvider, StringComparison.Ordinal)))
        {
            db.OutboxEntries.Add(OutboxEntries.Step(
                OutboxKinds.RevokeProvider, withdrawn.Id, identity.Provider, new ProviderRevocation(identity.Provider, identity.Subject, identity.SealedGrant), now));
        }

        var options = webhooks.CurrentValue;
        var held = Held(OutboxEntries.Webhooks(withdrawn, options, now).Concat(OutboxEntries.Webhooks(revoked, options, now)), now);
        db.OutboxEntries.AddRange(held);
        await db.SaveChangesAsync(cancellationToken);
        return held;
    }

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Revoking the sessions of member {MemberId} right after the commit failed; the outbox will do it.")]
    private static partial void LogImmediateRevocationFailed(ILogger logger, string memberId, Exception exception);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Releasing the held webhooks of member {MemberId} failed; they go out when their hold ends.")]
    private static partial void LogReleaseFailed(ILogger logger, string memberId, Exception exception);
}
