namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// The Lua scripts of the Redis stores. Each touches exactly one key (KEYS[1]), so it is atomic (Redis runs a script
/// to completion before any other command) and valid on Redis Cluster. StackExchange.Redis sends a script text once
/// and EVALSHA afterwards, and re-sends it after a NOSCRIPT (a restarted or failed-over server).
/// Times are unix milliseconds; hashes are raw bytes, compared by Lua's <c>==</c> on the server (no timing
/// side channel reaches a client across the network and the script boundary).
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Writes a new session hash and its expiry together, so no session key ever exists without a TTL.
    /// KEYS[1] = s:{sid}; ARGV[1] = expires at (ms); ARGV[2..] = field, value, field, value, ...
    /// </summary>
    public const string CreateSession = """
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>
    /// Adds a session to its member's index and keeps the index alive at least as long as that session can live: the
    /// TTL is raised to the absolute expiry, never lowered. Entries whose absolute expiry has passed are dropped.
    /// KEYS[1] = m:{memberId}; ARGV[1] = sid; ARGV[2] = absolute expiry (ms, also the score); ARGV[3] = now (ms).
    /// </summary>
    public const string IndexSession = """
        redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return 0
        end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 or tonumber(ARGV[3]) + ttl < tonumber(ARGV[2]) then
          redis.call('PEXPIREAT', KEYS[1], ARGV[2])
        end
        return 1
        """;

    /// <summary>
    /// The whole rotation (IRefreshSessionStore.RotateAsync) on one key. Returns {0} not found or expired;
    /// {1, fields} rotated; {2, fields} previous token within the leeway; {3, member} reused (the key is deleted).
    /// KEYS[1] = s:{sid}; ARGV = presented hash, successor hash, successor nonce, now (ms),
    /// now + idle lifetime (ms), reuse leeway (ms).
    /// </summary>
    public const string Rotate = """
        local s = redis.call('HMGET', KEYS[1], 'c', 'p', 'r', 'i', 'a')
        local now = tonumber(ARGV[4])
        if not s[1] or now >= tonumber(s[4]) or now >= tonumber(s[5]) then
          return {0}
        end
        if s[1] == ARGV[1] then
          local idle = ARGV[5]
          if tonumber(idle) > tonumber(s[5]) then
            idle = s[5]
          end
          redis.call('HSET', KEYS[1], 'p', s[1], 'c', ARGV[2], 'n', ARGV[3], 'r', ARGV[4], 'i', idle)
          redis.call('PEXPIREAT', KEYS[1], idle)
          return {1, redis.call('HGETALL', KEYS[1])}
        end
        if s[2] and s[2] == ARGV[1] and now - tonumber(s[3]) <= tonumber(ARGV[6]) then
          return {2, redis.call('HGETALL', KEYS[1])}
        end
        local member = redis.call('HGET', KEYS[1], 'm')
        redis.call('DEL', KEYS[1])
        return {3, member}
        """;

    /// <summary>
    /// Deletes a session, returning {member, 1 if it was still live else 0}, or nil when there was none.
    /// KEYS[1] = s:{sid}; ARGV[1] = now (ms).
    /// </summary>
    public const string Revoke = """
        local s = redis.call('HMGET', KEYS[1], 'm', 'i', 'a')
        if not s[1] then
          return false
        end
        redis.call('DEL', KEYS[1])
        local now = tonumber(ARGV[1])
        local live = 0
        if now < tonumber(s[2]) and now < tonumber(s[3]) then
          live = 1
        end
        return {s[1], live}
        """;

    /// <summary>
    /// Counts one failure; the first failure of a window sets the window's TTL (as does finding a counter without one).
    /// KEYS[1] = t:{key}; ARGV[1] = window (ms). Returns {count, ttl in ms}.
    /// </summary>
    public const string AddFailure = """
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return {n, ttl}
        """;

    /// <summary>Takes back one failure of a throttle key, keeping its TTL; deletes it at zero. KEYS[1] = t:{key}.</summary>
    public const string RemoveFailure = """
        local n = tonumber(redis.call('GET', KEYS[1]))
        if not n then
          return 0
        end
        if n <= 1 then
          redis.call('DEL', KEYS[1])
          return 0
        end
        return redis.call('DECR', KEYS[1])
        """;

    /// <summary>The count and remaining TTL of a throttle key read together; nil when nothing is counted. KEYS[1] = t:{key}.</summary>
    public const string ReadFailures = """
        local n = redis.call('GET', KEYS[1])
        if not n then
          return false
        end
        return {tonumber(n), redis.call('PTTL', KEYS[1])}
        """;
}
