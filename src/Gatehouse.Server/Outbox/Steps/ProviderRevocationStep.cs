using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Storage.Database;

namespace Gatehouse.Server.Outbox.Steps;

/// <summary>
/// Tells one provider that a withdrawn member has left, through <see cref="IProviderRevoker"/>. An entry retried by an operator
/// after it was dead-lettered has no grant any more (<see cref="OutboxEntries.PayloadWhenFinished"/>): the revoker tries
/// without it, which Kakao allows (admin key) and the others record as skipped.
/// </summary>
internal sealed class ProviderRevocationStep(IProviderRevoker revoker) : IOutboxStep
{
    public string Kind => OutboxKinds.RevokeProvider;

    public async Task<StepResult> RunAsync(OutboxEntryRow entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (OutboxEntries.Read<ProviderRevocation>(entry) is not { } revocation)
        {
            return new StepResult(StepOutcome.Failed, "The entry's payload is not a provider revocation.");
        }

        var result = await revoker.RevokeAsync(revocation.Provider, revocation.Subject, revocation.SealedGrant, cancellationToken);
        return result.Status switch
        {
            RevocationStatus.Revoked => new StepResult(StepOutcome.Done, "Revoked."),
            RevocationStatus.Skipped when revocation.GrantDropped => new StepResult(
                StepOutcome.Done, "Skipped: the grant was deleted when this entry was first finished (done or dead-lettered); " + (result.Error ?? "nothing to revoke.")),
            RevocationStatus.Skipped => new StepResult(StepOutcome.Done, "Skipped: " + (result.Error ?? "nothing to revoke.")),
            RevocationStatus.RetryLater => new StepResult(StepOutcome.Retry, result.Error ?? "The provider failed for now."),
            _ => new StepResult(StepOutcome.Failed, result.Error ?? "The provider refused."),
        };
    }
}
