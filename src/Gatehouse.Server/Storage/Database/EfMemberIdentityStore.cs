using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Provider accounts linked to members, in the database. The unique indexes on <c>(provider, subject)</c> and
/// <c>(member_id, provider)</c> decide every race; after a refused insert the committed rows are read back to say which
/// rule refused it (a unique index only refuses a row once the competing one has committed, so it is there to be read).
/// </summary>
internal sealed class EfMemberIdentityStore(IDbContextFactory<GatehouseDbContext> contexts) : IMemberIdentityStore
{
    /// <summary>
    /// How often an insert is tried when it was refused by a row that is gone by the time it is read back (deleted in
    /// between). Each retry needs another such deletion to fail again.
    /// </summary>
    private const int MaxAttempts = 3;

    public async Task<MemberIdentity?> FindAsync(string provider, string subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(subject);

        // PostgreSQL text cannot hold NUL (22021), so nothing stored contains one.
        if (HasNul(provider) || HasNul(subject))
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.MemberIdentities
            .AsNoTracking()
            .Where(i => i.Provider == provider && i.Subject == subject)
            .Select(i => new { Row = i, i.Member!.PublicId })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : ToIdentity(found.Row, found.PublicId);
    }

    public async Task<IReadOnlyList<MemberIdentity>> ListAsync(MemberId member, CancellationToken cancellationToken)
    {
        var publicId = member.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.MemberIdentities
            .AsNoTracking()
            .Where(i => i.Member!.PublicId == publicId)
            .OrderBy(i => i.LinkedAt)
            .ThenBy(i => i.Provider)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(row => ToIdentity(row, publicId));
    }

    public async Task<MemberProfile?> FindProfileAsync(MemberId member, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await _findProfile(db, member.Value, cancellationToken) is not { } found)
        {
            return null;
        }

        return new MemberProfile(EfMemberStore.ToMember(found.Member), found.Identities.ConvertAll(i => new MemberIdentity(member, i.Provider, i.Subject, i.Email, i.EmailVerified, i.Name, i.Picture, i.LinkedAt, i.LastLoginAt)));
    }

    /// <summary>
    /// One SELECT on either database: the member LEFT JOIN its identities (EF Core's single-query collection
    /// projection), leaving out the sealed grants. Compiled once, so a request pays neither for building the
    /// expression tree nor for looking it up in the query cache (GET /members/me is in the benchmark). The inner
    /// projection names no column of the member: that would need APPLY, which SQLite lacks. One per store, not static:
    /// a compiled query refuses to run against another model than its first, and the store's contexts share one.
    /// </summary>
    private readonly Func<GatehouseDbContext, string, CancellationToken, Task<ProfileRows?>> _findProfile =
        EF.CompileAsyncQuery((GatehouseDbContext db, string publicId, CancellationToken _) =>
            db.Members
                .AsNoTracking()
                .Where(m => m.PublicId == publicId && m.WithdrawnAt == null)
                .Select(m => new ProfileRows(
                    m,
                    db.MemberIdentities
                        .Where(i => i.MemberId == m.Id)
                        .OrderBy(i => i.LinkedAt)
                        .ThenBy(i => i.Provider)
                        .Select(i => new IdentityColumns(i.Provider, i.Subject, i.Email, i.EmailVerified, i.Name, i.Picture, i.LinkedAt, i.LastLoginAt))
                        .ToList()))
                .SingleOrDefault());

    private sealed record ProfileRows(MemberRow Member, List<IdentityColumns> Identities);

    private sealed record IdentityColumns(string Provider, string Subject, string? Email, bool EmailVerified, string? Name, string? Picture, DateTimeOffset LinkedAt, DateTimeOffset LastLoginAt);

    public async Task<AddMemberOutcome> TryAddMemberAsync(Member member, MemberIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.MemberId != member.Id)
        {
            throw new ArgumentException("The identity must belong to the member being added.", nameof(identity));
        }

        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var memberRow = EfMemberStore.ToRow(member);
            var identityRow = ToRow(identity);
            identityRow.Member = memberRow;
            db.Members.Add(memberRow);
            db.MemberIdentities.Add(identityRow);
            try
            {
                // One SaveChanges is one transaction: the member and its identity land together or not at all.
                await db.SaveChangesAsync(cancellationToken);
                return AddMemberOutcome.Added;
            }
            catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
            {
                db.ChangeTracker.Clear();

                // The identity first: when the same person's two first logins race, both carry the same address too,
                // and the loser must learn that the account exists now (and log in with it), not that its email is taken.
                if (await IdentityExistsAsync(db, identity.Provider, identity.Subject, cancellationToken))
                {
                    return AddMemberOutcome.IdentityTaken;
                }

                var email = member.NormalizedEmail;
                if (email is not null && await db.Members.AnyAsync(m => m.NormalizedEmail == email, cancellationToken))
                {
                    return AddMemberOutcome.EmailTaken;
                }

                if (attempt == MaxAttempts)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>
    /// The insert runs in a transaction that first locks the live member the way a withdrawal does
    /// (<see cref="EfWithdrawalStore.LockLiveMemberAsync"/>: PostgreSQL <c>FOR UPDATE</c>, SQLite <c>BEGIN IMMEDIATE</c>),
    /// so a link and a withdrawal of the same member run one after the other: a link either commits first (and the
    /// withdrawal then deletes the identity with the rest, revoking it at the provider) or finds a tombstone and links
    /// nothing. The foreign key alone cannot tell: a withdrawn member's row stays.
    /// </summary>
    public async Task<LinkOutcome> TryLinkAsync(MemberIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var publicId = identity.MemberId.Value;
        var provider = identity.Provider;
        var subject = identity.Subject;
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await EfWithdrawalStore.LockLiveMemberAsync(db, db.Members.Where(m => m.PublicId == publicId), cancellationToken) is not { } member)
            {
                return LinkOutcome.MemberMissing;
            }

            var id = member.Id;
            var row = ToRow(identity);
            row.MemberId = id;
            db.MemberIdentities.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return LinkOutcome.Linked;
            }
            catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
            {
                // PostgreSQL has aborted the transaction: end it, then read (committed rows) what refused the row.
                await transaction.RollbackAsync(cancellationToken);
                db.ChangeTracker.Clear();
                var holder = await db.MemberIdentities
                    .Where(i => i.Provider == provider && i.Subject == subject)
                    .Select(i => (long?)i.MemberId)
                    .SingleOrDefaultAsync(cancellationToken);
                if (holder == id)
                {
                    await db.MemberIdentities
                        .Where(i => i.Provider == provider && i.Subject == subject && i.MemberId == id)
                        .ExecuteUpdateAsync(
                            s => s
                                .SetProperty(i => i.Email, identity.Email)
                                .SetProperty(i => i.EmailVerified, identity.EmailVerified)
                                .SetProperty(i => i.Name, identity.Name)
                                .SetProperty(i => i.Picture, identity.Picture),
                            cancellationToken);
                    return LinkOutcome.AlreadyLinked;
                }

                if (holder is not null)
                {
                    return LinkOutcome.LinkedToAnotherMember;
                }

                if (await db.MemberIdentities.AnyAsync(i => i.MemberId == id && i.Provider == provider, cancellationToken))
                {
                    return LinkOutcome.ProviderAlreadyLinked;
                }

                if (attempt == MaxAttempts)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>
    /// One prepared statement on either database: the update finds the row by the unique (provider, subject) index and
    /// RETURNING names its member. Through EF Core this was a LINQ read, then a LINQ update, each on its own pooled
    /// connection: two round trips, two connection resets, and the expression trees hashed and funcletized each time
    /// (bench/RESULTS.md, social part).
    /// </summary>
    public async Task<MemberId?> RecordLoginAsync(ExternalProfile profile, DateTimeOffset at, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (HasNul(profile.Provider) || HasNul(profile.Subject))
        {
            return null;
        }

        var now = StoredTime.Normalize(at);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = RecordLoginSql;
            AddParameter(command, "@provider", profile.Provider);
            AddParameter(command, "@subject", profile.Subject);
            AddParameter(command, "@email", profile.Email);
            AddParameter(command, "@email_verified", profile.EmailVerified);
            AddParameter(command, "@name", profile.Name);
            AddParameter(command, "@picture", profile.Picture);
            AddParameter(command, "@sealed_grant", sealedGrant);

            // The SQLite model stores times as unix milliseconds (UnixMillisecondsConverter), PostgreSQL as timestamptz.
            AddParameter(command, "@now", db is SqliteGatehouseDbContext ? now.ToUnixTimeMilliseconds() : now);
            var member = await command.ExecuteScalarAsync(cancellationToken);
            return member is string publicId ? new MemberId(publicId) : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Valid SQLite (3.35+: RETURNING; the subquery because SQLite's RETURNING sees only the updated table) and PostgreSQL.
    // A tombstone answers no member: an identity that a link racing a withdrawal attached to it logs nobody in.
    private const string RecordLoginSql = """
        UPDATE member_identities
        SET email = @email, email_verified = @email_verified, name = @name, picture = @picture, last_login_at = @now,
            sealed_grant = COALESCE(@sealed_grant, sealed_grant)
        WHERE provider = @provider AND subject = @subject
        RETURNING (SELECT m.public_id FROM members AS m WHERE m.id = member_identities.member_id AND m.withdrawn_at IS NULL)
        """;

    private static void AddParameter(System.Data.Common.DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>
    /// The check and the delete are one transaction that first locks the member: of two concurrent unlinks of a
    /// password-less member's last two identities, the second waits for the first, then sees one identity left and
    /// refuses. PostgreSQL: the member row is locked <c>FOR NO KEY UPDATE</c> (which two unlinks cannot both hold, but
    /// which does not block inserting identities that reference the member). SQLite: the transaction begins with
    /// <c>BEGIN IMMEDIATE</c> (Microsoft.Data.Sqlite's default), taking the database's single write lock before the first
    /// read, so the reads see every committed write and no other writer runs until the commit.
    /// </summary>
    public async Task<UnlinkOutcome> UnlinkAsync(MemberId member, string provider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var publicId = member.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var owners = db is PostgresGatehouseDbContext
            ? db.Members.FromSql($"SELECT * FROM members WHERE public_id = {publicId} FOR NO KEY UPDATE")
            : db.Members.Where(m => m.PublicId == publicId);

        // Not composed further: PostgreSQL would accept the locking clause in a sub-select, but it reads plainer as is.
        var owner = (await owners.AsNoTracking().ToListAsync(cancellationToken)).SingleOrDefault();
        if (owner is null)
        {
            return UnlinkOutcome.NotLinked;
        }

        var providers = await db.MemberIdentities.Where(i => i.MemberId == owner.Id).Select(i => i.Provider).ToListAsync(cancellationToken);
        if (!providers.Contains(provider, StringComparer.Ordinal))
        {
            return UnlinkOutcome.NotLinked;
        }

        if (owner.PasswordHash is null && providers.Count == 1)
        {
            return UnlinkOutcome.LastLoginMethod;
        }

        await db.MemberIdentities.Where(i => i.MemberId == owner.Id && i.Provider == provider).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return UnlinkOutcome.Unlinked;
    }

    private static Task<bool> IdentityExistsAsync(GatehouseDbContext db, string provider, string subject, CancellationToken cancellationToken) =>
        db.MemberIdentities.AnyAsync(i => i.Provider == provider && i.Subject == subject, cancellationToken);

    private static bool HasNul(string value) => value.Contains('\0', StringComparison.Ordinal);

    private static MemberIdentityRow ToRow(MemberIdentity identity) => new()
    {
        Provider = identity.Provider,
        Subject = identity.Subject,
        Email = identity.Email,
        EmailVerified = identity.EmailVerified,
        Name = identity.Name,
        Picture = identity.Picture,
        LinkedAt = StoredTime.Normalize(identity.LinkedAt),
        LastLoginAt = StoredTime.Normalize(identity.LastLoginAt),
    };

    private static MemberIdentity ToIdentity(MemberIdentityRow row, string publicId) => new(
        new MemberId(publicId),
        row.Provider,
        row.Subject,
        row.Email,
        row.EmailVerified,
        row.Name,
        row.Picture,
        row.LinkedAt,
        row.LastLoginAt);
}
