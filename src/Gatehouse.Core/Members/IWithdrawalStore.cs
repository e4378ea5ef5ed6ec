namespace Gatehouse.Core.Members;

public enum DeprovisionOutcome
{
    /// <summary>No member has that provider account (already unlinked or withdrawn): nothing to do.</summary>
    NotLinked,

    /// <summary>The identity was removed; the member keeps another way to log in.</summary>
    Unlinked,

    /// <summary>It was the member's last way to log in: the member was withdrawn.</summary>
    Withdrawn,
}

/// <summary>
/// Withdrawal as one transaction. The member's personal data (email, nickname, password hash), linked identities and
/// their sealed grants are deleted; the row stays as a tombstone so its public id (<c>sub</c>) is never handed out
/// again; and, in the same transaction, the follow-up work is written to the outbox: revoke every session, revoke each
/// linked provider, tell the webhooks (<c>member.withdrawn</c>, <c>session.revoked</c>). Nothing leaves the process
/// before the commit; the outbox dispatcher does each step afterwards, each on its own. Right after the commit the store
/// revokes the member's sessions itself (best effort; the outbox entry guarantees it), and the webhooks that announce it
/// wait for that.
/// </summary>
public interface IWithdrawalStore
{
    /// <summary>Withdraws a live member; false when there is none (never existed, or already withdrawn).</summary>
    Task<bool> WithdrawAsync(MemberId member, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// A provider said its user left (<see cref="Social.IProviderDeprovisioning"/>): removes that identity and schedules
    /// the revocation of the member's sessions, or withdraws the member when it was their last way to log in. The
    /// provider that sent the notice is not called back. Decided in one transaction, like an unlink.
    /// </summary>
    Task<(DeprovisionOutcome Outcome, MemberId? Member)> DeprovisionAsync(string provider, string subject, DateTimeOffset now, CancellationToken cancellationToken);
}
