using StackExchange.Redis;

namespace Gatehouse.Server.Storage;

/// <summary>
/// The Redis that holds refresh sessions and login-throttle counters when <c>Gatehouse:Sessions:Store</c> is
/// <c>redis</c>. Section <c>Gatehouse:Redis</c>; the StackExchange.Redis configuration is <c>ConnectionStrings:Redis</c>.
/// </summary>
public sealed class RedisOptions
{
    public const string Section = "Gatehouse:Redis";
    public const string ConnectionStringName = "Redis";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;

    /// <summary>Starts every key, so one Redis can serve several deployments (docs/architecture.md, Redis layout).</summary>
    public string KeyPrefix { get; set; } = "gh:";

    /// <summary>How long one connection attempt may take. Small, so a dead Redis fails a request quickly.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one command may wait for its answer, queued while reconnecting included.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>From <c>ConnectionStrings:Redis</c>, e.g. <c>redis:6379,password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return $"{ConnectionStringKey} is required when {SessionStoreOptions.Section}:Store is '{SessionStoreOptions.Redis}'.";
        }
        else if (ConfigurationError() is { } error)
        {
            yield return $"{ConnectionStringKey} is not a valid StackExchange.Redis configuration: {error}";
        }

        // Braces would start a Redis Cluster hash tag of their own and move keys away from their session's slot.
        if (string.IsNullOrEmpty(KeyPrefix) || KeyPrefix.Length > 32 || KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            yield return $"{Section}:KeyPrefix must be 1 to 32 characters without '{{' or '}}' (was '{KeyPrefix}').";
        }

        if (ConnectTimeout < TimeSpan.FromMilliseconds(100) || ConnectTimeout > TimeSpan.FromSeconds(30))
        {
            yield return $"{Section}:ConnectTimeout must be between 00:00:00.1 and 00:00:30 (was {ConnectTimeout}).";
        }

        if (OperationTimeout < TimeSpan.FromMilliseconds(50) || OperationTimeout > TimeSpan.FromSeconds(30))
        {
            yield return $"{Section}:OperationTimeout must be between 00:00:00.05 and 00:00:30 (was {OperationTimeout}).";
        }
    }

    /// <summary>The StackExchange.Redis configuration these options describe.</summary>
    internal ConfigurationOptions ToConfiguration()
    {
        var configuration = ConfigurationOptions.Parse(ConnectionString ?? throw new InvalidOperationException($"{ConnectionStringKey} is not set."));

        // Never throw at start-up because Redis is down: the multiplexer keeps reconnecting in the background and the
        // readiness check reports it. Each command waits at most OperationTimeout, so requests fail fast meanwhile.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)OperationTimeout.TotalMilliseconds;
        configuration.ConnectRetry = 0;
        configuration.ClientName ??= "gatehouse";

        // The shared thread pool instead of the library's dedicated socket threads: on a small machine those threads
        // cost CPU without adding throughput (measured in bench/).
        configuration.SocketManager = SocketManager.ThreadPool;
        return configuration;
    }

    private string? ConfigurationError()
    {
        try
        {
            // StackExchange.Redis skips what it cannot read as an endpoint ("127.0.0.1:6379x"), and refuses a
            // configuration without one only when it connects: at start-up, as an unhandled exception.
            return ConfigurationOptions.Parse(ConnectionString!).EndPoints.Count == 0
                ? "it names no server (host:port, e.g. redis:6379)."
                : null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
