using Gatehouse.Core.Sessions;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// What the Redis stores turn into <see cref="SessionStoreUnavailableException"/>: every failure StackExchange.Redis
/// reports, i.e. <see cref="RedisConnectionException"/> (no connection), <see cref="RedisTimeoutException"/> (no answer
/// within OperationTimeout) and <see cref="RedisServerException"/> (LOADING, READONLY after a failover, MASTERDOWN,
/// OOM, BUSY ...). Callers then answer 503 instead of guessing.
/// </summary>
internal static class RedisFailures
{
    public static bool IsRedisFailure(Exception exception) =>
        exception is RedisException or RedisTimeoutException;

    public static SessionStoreUnavailableException Unavailable(Exception exception) =>
        new("Redis did not answer in time or refused the command.", exception);
}
