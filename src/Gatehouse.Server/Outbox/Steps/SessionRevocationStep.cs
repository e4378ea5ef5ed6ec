using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Storage.Database;

namespace Gatehouse.Server.Outbox.Steps;

/// <summary>Revokes every refresh session of a member (idempotent: a second run finds none).</summary>
internal sealed class SessionRevocationStep(IRefreshSessionStore sessions) : IOutboxStep
{
    public string Kind => OutboxKinds.RevokeSessions;

    public async Task<StepResult> RunAsync(OutboxEntryRow entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            var ended = await sessions.RevokeAllAsync(new MemberId(entry.Target), cancellationToken);
            return new StepResult(StepOutcome.Done, $"{ended} session(s) revoked.");
        }
        catch (SessionStoreUnavailableException)
        {
            return new StepResult(StepOutcome.Retry, "The session store cannot be reached.");
        }
    }
}
