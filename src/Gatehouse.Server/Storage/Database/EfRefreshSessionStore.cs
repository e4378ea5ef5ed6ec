using System.Security.Cryptography;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Refresh sessions in the database. Expired rows are treated as absent by every read and deleted later by
/// <see cref="ExpiredSessionSweeper"/>.
/// </summary>
internal sealed class EfRefreshSessionStore(IDbContextFactory<GatehouseDbContext> contexts, TimeProvider time, Microsoft.Extensions.Options.IOptions<DatabaseOptions> database) : IRefreshSessionStore, IDisposable
{
    private static readonly RotationResult NotFound = new(RotationOutcome.NotFound, null);
    private static readonly RotationResult Reused = new(RotationOutcome.Reused, null);

    // SQLite lets one writer in at a time; concurrent writers otherwise spin in its busy handler (sleep, retry),
    // which under load costs more than the writes. Queueing them here keeps rotation atomic (the conditional UPDATE
    // still decides) and turns the contention into an async wait. PostgreSQL needs no gate.
    private readonly SemaphoreSlim? _sqliteWrites = database.Value.IsSqlite ? new SemaphoreSlim(1, 1) : null;

    public Task CreateAsync(NewRefreshSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var s = session.Session;
        var row = new RefreshSessionRow
        {
            Id = s.Id.Value,
            MemberId = s.MemberId.Value,
            CurrentHash = session.TokenHash,
            CreatedAt = StoredTime.Normalize(s.CreatedAt),
            LastUsedAt = StoredTime.Normalize(s.LastUsedAt),
            IdleExpiresAt = StoredTime.Normalize(s.IdleExpiresAt),
            AbsoluteExpiresAt = StoredTime.Normalize(s.AbsoluteExpiresAt),
            UserAgent = s.UserAgent,
        };
        return WriteAsync(
            async db =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                if (await IsWithdrawnAsync(db, row.MemberId, cancellationToken))
                {
                    throw new MemberWithdrawnException();
                }

                db.RefreshSessions.Add(row);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken);
    }

    /// <summary>
    /// Whether the member withdrew, read in the session's transaction so that it is ordered with the withdrawal, which
    /// deletes the member's sessions in its own (<see cref="EfWithdrawalStore"/>): PostgreSQL's <c>FOR SHARE</c> waits for
    /// a withdrawal holding the row and then reads what it committed; SQLite's transaction is immediate (one writer at
    /// a time). A session for a member id the table does not hold is no concern of this store's.
    /// </summary>
    private static async Task<bool> IsWithdrawnAsync(GatehouseDbContext db, string publicId, CancellationToken cancellationToken)
    {
        if (db is PostgresGatehouseDbContext)
        {
            var rows = await db.Members.FromSql($"SELECT * FROM members WHERE public_id = {publicId} FOR SHARE").AsNoTracking().ToListAsync(cancellationToken);
            return rows.Any(m => m.WithdrawnAt is not null);
        }

        return await db.Members.AnyAsync(m => m.PublicId == publicId && m.WithdrawnAt != null, cancellationToken);
    }

    public Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _sqliteWrites is null
            ? RunAsync(db => RotateAsync(db, request, cancellationToken), cancellationToken)
            : WriteAsync(async db => await TryRotateOnSqliteAsync(db, request, cancellationToken) ?? await DecideAsync(db, request, rotated: false, cancellationToken), cancellationToken);
    }

    /// <summary><see cref="RunAsync{T}"/> behind the SQLite write gate (none on PostgreSQL).</summary>
    private async Task<T> WriteAsync<T>(Func<GatehouseDbContext, Task<T>> work, CancellationToken cancellationToken)
    {
        if (_sqliteWrites is null)
        {
            return await RunAsync(work, cancellationToken);
        }

        await _sqliteWrites.WaitAsync(cancellationToken);
        try
        {
            return await RunAsync(work, cancellationToken);
        }
        finally
        {
            _sqliteWrites.Release();
        }
    }

    public void Dispose() => _sqliteWrites?.Dispose();

    /// <summary>
    /// The common case on SQLite in one prepared statement: rotate and read the session back with RETURNING (SQLite
    /// 3.35+). Building and translating the LINQ update and re-read per call cost more CPU than the write itself
    /// (bench/RESULTS.md). Null when no row matched; <see cref="DecideAsync"/> then says why. Callers hold the write
    /// gate, so nothing changes the row in between.
    /// </summary>
    private static Task<RotationResult?> TryRotateOnSqliteAsync(GatehouseDbContext db, RotationRequest request, CancellationToken cancellationToken)
    {
        var now = StoredTime.Normalize(request.Now);
        var slidIdle = StoredTime.Normalize(request.Now + request.IdleLifetime);
        return RunRawAsync(db, SqliteRotateSql, (request, now, slidIdle), static async (command, state, cancellationToken) =>
        {
            var (request, now, slidIdle) = state;
            AddParameter(command, "$id", request.Id.Value);
            AddParameter(command, "$presented", request.PresentedHash);
            AddParameter(command, "$successor", request.SuccessorHash);
            AddParameter(command, "$nonce", request.SuccessorNonce);
            AddParameter(command, "$now", now.ToUnixTimeMilliseconds());
            AddParameter(command, "$slid", slidIdle.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var session = new RefreshSession(
                request.Id,
                new MemberId(reader.GetString(0)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                now,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetString(4));
            return (RotationResult?)new RotationResult(RotationOutcome.Rotated, session);
        }, cancellationToken);
    }

    /// <summary>
    /// One raw statement on the context's connection, opened for it and closed after: for the statements LINQ cannot say
    /// in one round trip (an UPDATE or DELETE … RETURNING). The state goes in as an argument, so a call allocates no closure.
    /// </summary>
    private static async Task<T> RunRawAsync<TState, T>(
        GatehouseDbContext db, string sql, TState state, Func<System.Data.Common.DbCommand, TState, CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            return await run(command, state, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void AddParameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    // The same rules as the LINQ update below; the SET right-hand sides read the row as it was, so previous_hash gets
    // the old current_hash. Times are unix milliseconds, as the SQLite model stores them.
    private const string SqliteRotateSql = """
        UPDATE refresh_sessions
        SET previous_hash = current_hash, current_hash = $successor, nonce = $nonce, rotated_at = $now,
            last_used_at = $now, idle_expires_at = min(absolute_expires_at, $slid)
        WHERE id = $id AND current_hash = $presented AND idle_expires_at > $now AND absolute_expires_at > $now
        RETURNING member_id, created_at, idle_expires_at, absolute_expires_at, user_agent
        """;

    public Task<RefreshSession?> FindAsync(SessionId id, CancellationToken cancellationToken)
    {
        var now = Now();
        return RunAsync(
            async db =>
            {
                var row = await db.RefreshSessions
                    .AsNoTracking()
                    .SingleOrDefaultAsync(s => s.Id == id.Value && s.IdleExpiresAt > now && s.AbsoluteExpiresAt > now, cancellationToken);
                return row is null ? null : ToSession(row);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<RefreshSession>> ListByMemberAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        var now = Now();
        return RunAsync<IReadOnlyList<RefreshSession>>(
            async db =>
            {
                var rows = await db.RefreshSessions
                    .AsNoTracking()
                    .Where(s => s.MemberId == memberId.Value && s.IdleExpiresAt > now && s.AbsoluteExpiresAt > now)
                    .OrderByDescending(s => s.CreatedAt)
                    .ThenBy(s => s.Id)
                    .ToListAsync(cancellationToken);
                return rows.ConvertAll(ToSession);
            },
            cancellationToken);
    }

    public Task<MemberId?> RevokeAsync(SessionId id, CancellationToken cancellationToken)
    {
        // An expired row is already no session: it is left to the sweeper and reported as absent.
        var now = Now();
        return RunAsync(
            db => RunRawAsync(
                db,
                RevokeSql,
                // The SQLite model stores times as unix milliseconds (UnixMillisecondsConverter), PostgreSQL as timestamptz.
                (id, now: db is SqliteGatehouseDbContext ? (object)now.ToUnixTimeMilliseconds() : now),
                static async (command, state, cancellationToken) =>
                {
                    AddParameter(command, "@id", state.id.Value);
                    AddParameter(command, "@now", state.now);
                    return await command.ExecuteScalarAsync(cancellationToken) is string member ? new MemberId(member) : (MemberId?)null;
                },
                cancellationToken),
            cancellationToken);
    }

    // Valid SQLite (3.35+) and PostgreSQL: the delete names the session's owner, so a logout that tells webhooks whose
    // session ended needs no read before it.
    private const string RevokeSql = """
        DELETE FROM refresh_sessions
        WHERE id = @id AND idle_expires_at > @now AND absolute_expires_at > @now
        RETURNING member_id
        """;

    public Task<int> RevokeAllAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        var now = Now();
        return RunAsync(
            db => db.RefreshSessions
                .Where(s => s.MemberId == memberId.Value && s.IdleExpiresAt > now && s.AbsoluteExpiresAt > now)
                .ExecuteDeleteAsync(cancellationToken),
            cancellationToken);
    }

    /// <summary>
    /// Atomic without a transaction: the rotation is one conditional UPDATE, so of any number of concurrent callers
    /// presenting the same current hash exactly one matches the row (SQLite serialises writers; PostgreSQL re-checks
    /// the WHERE clause against the row version the winner committed, READ COMMITTED "EvalPlanQual"). Every other
    /// caller then reads the committed row and learns why it lost.
    /// </summary>
    private static async Task<RotationResult> RotateAsync(GatehouseDbContext db, RotationRequest request, CancellationToken cancellationToken)
    {
        var id = request.Id.Value;
        var presented = request.PresentedHash;
        var successor = request.SuccessorHash;
        var nonce = request.SuccessorNonce;
        var now = StoredTime.Normalize(request.Now);
        DateTimeOffset? rotatedAt = now;
        var slidIdle = StoredTime.Normalize(request.Now + request.IdleLifetime);

        // byte[] equality translates to "=" on a SQLite BLOB and a PostgreSQL bytea. The right-hand sides of SET
        // all read the row as it was before the UPDATE, so previous_hash receives the old current_hash.
        var rotated = await db.RefreshSessions
            .Where(s => s.Id == id && s.CurrentHash == presented && s.IdleExpiresAt > now && s.AbsoluteExpiresAt > now)
            .ExecuteUpdateAsync(
                set => set
                    .SetProperty(s => s.PreviousHash, s => s.CurrentHash)
                    .SetProperty(s => s.CurrentHash, successor)
                    .SetProperty(s => s.Nonce, nonce)
                    .SetProperty(s => s.RotatedAt, rotatedAt)
                    .SetProperty(s => s.LastUsedAt, now)
                    .SetProperty(s => s.IdleExpiresAt, s => s.AbsoluteExpiresAt < slidIdle ? s.AbsoluteExpiresAt : slidIdle),
                cancellationToken);

        return await DecideAsync(db, request, rotated: rotated == 1, cancellationToken);
    }

    /// <summary>After the conditional update: read the committed row and say what happened, or why nothing did.</summary>
    private static async Task<RotationResult> DecideAsync(GatehouseDbContext db, RotationRequest request, bool rotated, CancellationToken cancellationToken)
    {
        var id = request.Id.Value;
        var presented = request.PresentedHash;
        var now = StoredTime.Normalize(request.Now);
        var row = await db.RefreshSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (row is null || !IsLive(row, now))
        {
            return NotFound;
        }

        if (rotated)
        {
            return new RotationResult(RotationOutcome.Rotated, ToSession(row));
        }

        if (CryptographicOperations.FixedTimeEquals(row.CurrentHash, presented))
        {
            // The UPDATE did not match, yet the hash is current and the row live: nothing but a session created after
            // the UPDATE under the same random id could do that. Refuse without revoking anything.
            return NotFound;
        }

        if (row.PreviousHash is { } previous
            && CryptographicOperations.FixedTimeEquals(previous, presented)
            && row.RotatedAt is { } rotatedAtStored
            && now - rotatedAtStored <= request.ReuseLeeway
            && row.Nonce is { } currentNonce)
        {
            return new RotationResult(RotationOutcome.WithinLeeway, ToSession(row), currentNonce, row.CurrentHash);
        }

        // A token the family no longer accepts: someone holds a copy of an old token. Revoke the whole family.
        await db.RefreshSessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);
        return Reused with { RevokedMember = new MemberId(row.MemberId) };
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
            throw new SessionStoreUnavailableException("The session database cannot be reached or stayed locked.", e);
        }
    }

    private DateTimeOffset Now() => StoredTime.Normalize(time.GetUtcNow());

    private static bool IsLive(RefreshSessionRow row, DateTimeOffset now) => row.IdleExpiresAt > now && row.AbsoluteExpiresAt > now;

    private static RefreshSession ToSession(RefreshSessionRow row) => new(
        new SessionId(row.Id),
        new MemberId(row.MemberId),
        row.CreatedAt,
        row.LastUsedAt,
        row.IdleExpiresAt,
        row.AbsoluteExpiresAt,
        row.UserAgent);
}
