using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> of the process (StackExchange.Redis multiplexes every caller over it),
/// connected on first use so that start-up never waits for Redis. A failed first connect is not cached: the next
/// call tries again.
/// </summary>
internal sealed partial class RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    public string KeyPrefix => options.Value.KeyPrefix;

    /// <exception cref="RedisConnectionException">The configuration names no reachable endpoint at all.</exception>
    public async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        var multiplexer = Volatile.Read(ref _multiplexer) ?? await ConnectAsync(cancellationToken);
        return multiplexer.GetDatabase();
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        if (Interlocked.Exchange(ref _multiplexer, null) is { } multiplexer)
        {
            await multiplexer.DisposeAsync();
        }

        _connecting.Dispose();
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        await _connecting.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_multiplexer is { } existing)
            {
                return existing;
            }

            // AbortOnConnectFail=false (RedisOptions.ToConfiguration): this returns after one attempt of at most
            // ConnectTimeout even when Redis is down, and the multiplexer keeps reconnecting in the background.
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(options.Value.ToConfiguration());
            multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(logger, e.EndPoint, e.FailureType, e.Exception);
            multiplexer.ConnectionRestored += (_, e) => LogConnectionRestored(logger, e.EndPoint);
            Volatile.Write(ref _multiplexer, multiplexer);
            return multiplexer;
        }
        finally
        {
            _connecting.Release();
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed ({FailureType}).")]
    private static partial void LogConnectionFailed(ILogger logger, System.Net.EndPoint? endPoint, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored.")]
    private static partial void LogConnectionRestored(ILogger logger, System.Net.EndPoint? endPoint);
}
