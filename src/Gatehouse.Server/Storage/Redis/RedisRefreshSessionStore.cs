using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// Refresh sessions in Redis, laid out as docs/architecture.md says: one hash per session (<c>s:{sid}</c>) that
/// expires by itself at its idle or absolute expiry, and one sorted set per member (<c>m:{memberId}</c>) of session
/// ids scored by absolute expiry. The index is a different slot on Redis Cluster, so it is never written inside a
/// script with the session; a stale entry (a session that expired or was deleted) is dropped when it is next read.
/// </summary>
internal sealed class RedisRefreshSessionStore(RedisConnection redis, TimeProvider time) : IRefreshSessionStore
{
    private static readonly RotationResult NotFound = new(RotationOutcome.NotFound, null);
    private static readonly RotationResult Reused = new(RotationOutcome.Reused, null);

    private readonly RedisKeys _keys = new(redis.KeyPrefix);

    public async Task CreateAsync(NewRefreshSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var s = session.Session;
        var hash = RedisSessionHash.From(session);
        var arguments = hash.ToFieldValues();
        arguments.Insert(0, hash.ExpiresAt);
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);

            // The two writes are pipelined; each is atomic on its own key. Should the index write fail after the
            // session's, the session still expires by itself, merely unlisted.
            var created = db.ScriptEvaluateAsync(RedisScripts.CreateSession, [_keys.Session(s.Id)], [.. arguments]);
            var indexed = db.ScriptEvaluateAsync(
                RedisScripts.IndexSession,
                [_keys.MemberIndex(s.MemberId)],
                [s.Id.Value, hash.AbsoluteExpiresAt, NowMilliseconds()]);
            await Task.WhenAll(created, indexed).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    /// <summary>
    /// Atomic because the decision and the write are one Lua script on the session's single key (RedisScripts.Rotate):
    /// Redis runs it to completion before any other command, so of concurrent callers presenting the same current hash
    /// exactly one finds it current.
    /// </summary>
    public async Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = request.Now.ToUnixTimeMilliseconds();
        RedisResult[] reply;
        IDatabase db;
        try
        {
            db = await redis.GetDatabaseAsync(cancellationToken);
            var result = await db.ScriptEvaluateAsync(
                RedisScripts.Rotate,
                [_keys.Session(request.Id)],
                [
                    request.PresentedHash,
                    request.SuccessorHash,
                    request.SuccessorNonce,
                    now,
                    (request.Now + request.IdleLifetime).ToUnixTimeMilliseconds(),
                    (long)request.ReuseLeeway.TotalMilliseconds,
                ]).WaitAsync(cancellationToken);
            reply = (RedisResult[]?)result ?? [];
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }

        switch (reply.Length > 0 ? (int)reply[0] : 0)
        {
            case 1 when RedisSessionHash.Read(reply[1]) is { } rotated:
                return new RotationResult(RotationOutcome.Rotated, rotated.ToSession(request.Id.Value));

            case 2 when RedisSessionHash.Read(reply[1]) is { Nonce: { } nonce } current:
                return new RotationResult(RotationOutcome.WithinLeeway, current.ToSession(request.Id.Value), nonce, current.CurrentHash);

            case 3:
                // The family is gone already; the index entry is dropped without waiting (a failure only leaves a
                // stale entry that the next list removes).
                if ((string?)reply[1] is { } member)
                {
                    _ = db.SortedSetRemoveAsync(_keys.MemberIndex(new MemberId(member)), request.Id.Value, CommandFlags.FireAndForget);
                    return Reused with { RevokedMember = new MemberId(member) };
                }

                return Reused;

            default:
                return NotFound;
        }
    }

    public async Task<RefreshSession?> FindAsync(SessionId id, CancellationToken cancellationToken)
    {
        HashEntry[] entries;
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            entries = await db.HashGetAllAsync(_keys.Session(id)).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }

        return RedisSessionHash.Read(entries) is { } hash && hash.IsLive(NowMilliseconds()) ? hash.ToSession(id.Value) : null;
    }

    public async Task<IReadOnlyList<RefreshSession>> ListByMemberAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        var now = NowMilliseconds();
        var index = _keys.MemberIndex(memberId);
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var ids = await db.SortedSetRangeByScoreAsync(index, now, double.PositiveInfinity, Exclude.Start).WaitAsync(cancellationToken);
            if (ids.Length == 0)
            {
                return [];
            }

            // One batch: the HGETALLs leave in one write and their answers come back in one read.
            var batch = db.CreateBatch();
            var reads = Array.ConvertAll(ids, id => batch.HashGetAllAsync(_keys.Session((string)id!)));
            batch.Execute();
            await Task.WhenAll(reads).WaitAsync(cancellationToken);

            var sessions = new List<RefreshSession>(ids.Length);
            var stale = new List<RedisValue>();
            for (var i = 0; i < ids.Length; i++)
            {
                if (RedisSessionHash.Read(reads[i].Result) is { } hash && hash.IsLive(now))
                {
                    sessions.Add(hash.ToSession((string)ids[i]!));
                }
                else
                {
                    stale.Add(ids[i]);
                }
            }

            if (stale.Count > 0)
            {
                _ = db.SortedSetRemoveAsync(index, [.. stale], CommandFlags.FireAndForget);
            }

            sessions.Sort(static (a, b) => b.CreatedAt.CompareTo(a.CreatedAt) is var byAge and not 0 ? byAge : string.CompareOrdinal(a.Id.Value, b.Id.Value));
            return sessions;
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    public async Task<MemberId?> RevokeAsync(SessionId id, CancellationToken cancellationToken)
    {
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var reply = await db.ScriptEvaluateAsync(RedisScripts.Revoke, [_keys.Session(id)], [NowMilliseconds()]).WaitAsync(cancellationToken);
            if (reply.IsNull)
            {
                return null;
            }

            var parts = (RedisResult[])reply!;
            var owner = new MemberId((string)parts[0]!);
            await db.SortedSetRemoveAsync(_keys.MemberIndex(owner), id.Value).WaitAsync(cancellationToken);

            // An expired session is deleted all the same, but reported as absent, as the database store does.
            return (int)parts[1] == 1 ? owner : null;
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    /// <summary>
    /// Deletes every session the index names, then removes exactly those ids from the index (which Redis deletes with
    /// its last member). Deleting the whole index key instead could orphan a session that a concurrent login adds
    /// between the read and the delete.
    /// </summary>
    public async Task<int> RevokeAllAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        var now = NowMilliseconds();
        var index = _keys.MemberIndex(memberId);
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var ids = await db.SortedSetRangeByRankAsync(index).WaitAsync(cancellationToken);
            if (ids.Length == 0)
            {
                return 0;
            }

            var batch = db.CreateBatch();
            var revokes = Array.ConvertAll(ids, id => batch.ScriptEvaluateAsync(RedisScripts.Revoke, [_keys.Session((string)id!)], [now]));
            batch.Execute();
            await Task.WhenAll(revokes).WaitAsync(cancellationToken);
            await db.SortedSetRemoveAsync(index, ids).WaitAsync(cancellationToken);

            return revokes.Count(r => !r.Result.IsNull && (int)((RedisResult[])r.Result!)[1] == 1);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    private long NowMilliseconds() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
