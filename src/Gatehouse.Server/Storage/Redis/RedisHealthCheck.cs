using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>Ready when Redis answers PING (within the configured operation timeout).</summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var latency = await db.PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"PING answered in {latency.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception e) when (RedisFailures.IsRedisFailure(e))
        {
            return HealthCheckResult.Unhealthy("Redis does not answer.", e);
        }
    }
}
