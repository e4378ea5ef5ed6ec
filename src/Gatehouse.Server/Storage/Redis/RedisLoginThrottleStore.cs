using Gatehouse.Core.Throttling;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// Failed-login counters shared by every instance: one counter per key (<c>t:{key}</c>) whose TTL is the window,
/// set by the first failure and never extended, so a window is fixed and every counter ends by itself.
/// </summary>
internal sealed class RedisLoginThrottleStore(RedisConnection redis) : ILoginThrottleStore
{
    private readonly RedisKeys _keys = new(redis.KeyPrefix);

    public async Task<ThrottleState> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var reply = await db.ScriptEvaluateAsync(RedisScripts.ReadFailures, [_keys.Throttle(key)]).WaitAsync(cancellationToken);
            return reply.IsNull ? default : ToState((RedisResult[])reply!);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    public async Task<ThrottleState> AddFailureAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var reply = await db.ScriptEvaluateAsync(RedisScripts.AddFailure, [_keys.Throttle(key)], [(long)window.TotalMilliseconds]).WaitAsync(cancellationToken);
            return ToState((RedisResult[])reply!);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    public async Task RemoveFailureAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            await db.ScriptEvaluateAsync(RedisScripts.RemoveFailure, [_keys.Throttle(key)]).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    public async Task ResetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            await db.KeyDeleteAsync(_keys.Throttle(key)).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }

    private static ThrottleState ToState(RedisResult[] reply)
    {
        var failures = (long)reply[0];
        var ttl = (long)reply[1];

        // PTTL is -2 when the counter expired between the two reads of ReadFailures: nothing is counted any more.
        return ttl > 0 ? new ThrottleState(failures, TimeSpan.FromMilliseconds(ttl)) : default;
    }
}
