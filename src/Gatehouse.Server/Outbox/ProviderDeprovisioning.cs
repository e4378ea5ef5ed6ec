using Gatehouse.Core.Social;

namespace Gatehouse.Server.Outbox;

/// <summary>
/// Writes a provider's deprovisioning notice to the outbox and returns: the provider gets its answer at once (Kakao
/// wants one within 3 seconds) and <see cref="Steps.ProviderDeprovisionStep"/> handles it afterwards, retried like
/// every step.
/// </summary>
internal sealed class ProviderDeprovisioning(OutboxStore store, OutboxSignal signal, TimeProvider time) : IProviderDeprovisioning
{
    public async Task RecordAsync(string provider, string subject, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var now = time.GetUtcNow();
        var entry = OutboxEntries.Step(OutboxKinds.Deprovision, "dep_" + Guid.NewGuid().ToString("N"), provider, new ProviderDeprovision(provider, subject, reason), now);
        await store.AddAsync([entry], cancellationToken);
        signal.Notify();
    }
}
