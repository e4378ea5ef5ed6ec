using Gatehouse.Core.Social;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// One-time tickets in Redis: one string per ticket (<c>ticket:{key}</c>) that expires by itself; a take is
/// <c>GETDEL</c> (Redis 6.2+), so of concurrent takes exactly one gets the value.
/// </summary>
internal sealed class RedisOneTimeTicketStore(RedisConnection redis, TimeProvider time) : IOneTimeTicketStore
{
    private readonly RedisKeys _keys = new(redis.KeyPrefix);

    /// <exception cref="InvalidOperationException">A live ticket with this key is stored already (keys are digests of fresh secrets, so never in practice).</exception>
    public async Task StoreAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var ttl = TimeSpan.FromMilliseconds(Math.Floor((expiresAt - time.GetUtcNow()).TotalMilliseconds));
        if (ttl <= TimeSpan.Zero)
        {
            // Expired already: no take may return it, and Redis refuses a TTL that is not positive.
            return;
        }

        bool stored;
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            stored = await db.StringSetAsync(_keys.Ticket(key), value, ttl, When.NotExists).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }

        if (!stored)
        {
            throw new InvalidOperationException("A one-time ticket with this key is stored already.");
        }
    }

    public async Task<byte[]?> TakeAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var value = await db.StringGetDeleteAsync(_keys.Ticket(key)).WaitAsync(cancellationToken);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            throw RedisFailures.Unavailable(e);
        }
    }
}
