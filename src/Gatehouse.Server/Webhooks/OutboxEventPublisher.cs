using Gatehouse.Core.Events;
using Gatehouse.Server.Outbox;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Webhooks;

/// <summary>
/// Events that follow no database change of their own (a logout in Redis, a reuse detection) go to the outbox in a
/// transaction of their own, right after the action. A database that cannot take the event costs the event (logged),
/// never the action: the member is logged out either way.
/// </summary>
internal sealed partial class OutboxEventPublisher(OutboxStore store, OutboxSignal signal, IOptionsMonitor<WebhookOptions> options, TimeProvider time, ILogger<OutboxEventPublisher> logger) : IEventPublisher
{
    public bool IsEnabled => options.CurrentValue.Endpoints.Count > 0;

    public async Task PublishAsync(GatehouseEvent gatehouseEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gatehouseEvent);
        if (!IsEnabled)
        {
            return;
        }

        try
        {
            await store.AddAsync(OutboxEntries.Webhooks(gatehouseEvent, options.CurrentValue, time.GetUtcNow()), cancellationToken);
            signal.Notify();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogLost(logger, gatehouseEvent.Type, gatehouseEvent.Id, e);
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Error, Message = "Event {Type} {EventId} could not be written to the outbox and will not be delivered.")]
    private static partial void LogLost(ILogger logger, string type, string eventId, Exception exception);
}
