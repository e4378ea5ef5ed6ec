using Gatehouse.Core.Keys;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Hosting;

/// <summary>Re-reads the key store, rotates when due and drops expired keys, every <see cref="KeyOptions.RefreshInterval"/>.</summary>
internal sealed partial class SigningKeyMaintenance : BackgroundService
{
    private readonly SigningKeyRing _ring;
    private readonly IOptionsMonitor<KeyOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SigningKeyMaintenance> _logger;

    public SigningKeyMaintenance(SigningKeyRing ring, IOptionsMonitor<KeyOptions> options, TimeProvider time, ILogger<SigningKeyMaintenance> logger)
    {
        _ring = ring;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CurrentValue.RefreshInterval, _time, stoppingToken);
                await _ring.MaintainAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The ring keeps its last snapshot; tokens keep being signed and validated while the store is away.
                LogMaintenanceFailed(_logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Signing-key maintenance failed; retrying at the next interval.")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
