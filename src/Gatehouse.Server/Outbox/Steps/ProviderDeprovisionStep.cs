using Gatehouse.Core.Members;
using Gatehouse.Server.Storage.Database;

namespace Gatehouse.Server.Outbox.Steps;

/// <summary>
/// Handles a provider's notice that its user left (recorded by <see cref="ProviderDeprovisioning"/>): unlink, or
/// withdraw when it was the member's last way to log in. The store does either in one transaction that also writes the
/// follow-up entries (session revocation, webhooks), so this step is done once that commits; a repeat finds nothing linked.
/// </summary>
internal sealed partial class ProviderDeprovisionStep(IWithdrawalStore withdrawals, TimeProvider time, Core.Diagnostics.GatehouseMetrics metrics, ILogger<ProviderDeprovisionStep> logger) : IOutboxStep
{
    public string Kind => OutboxKinds.Deprovision;

    public async Task<StepResult> RunAsync(OutboxEntryRow entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (OutboxEntries.Read<ProviderDeprovision>(entry) is not { } notice)
        {
            return new StepResult(StepOutcome.Failed, "The entry's payload is not a provider deprovisioning.");
        }

        var (outcome, member) = await withdrawals.DeprovisionAsync(notice.Provider, notice.Subject, time.GetUtcNow(), cancellationToken);
        if (outcome == DeprovisionOutcome.Withdrawn)
        {
            metrics.Withdrawal("provider_deprovisioned");
        }

        LogHandled(logger, notice.Provider, notice.Reason, outcome, member?.Value);
        return new StepResult(StepOutcome.Done, outcome.ToString());
    }

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "{Provider} deprovisioned one of its users ({Reason}): {Outcome} (member {MemberId}).")]
    private static partial void LogHandled(ILogger logger, string provider, string reason, DeprovisionOutcome outcome, string? memberId);
}
