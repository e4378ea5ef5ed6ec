using Gatehouse.Core.Members;

namespace Gatehouse.Core.Sessions;

/// <summary>
/// The refresh-session store has exactly the operations it needs (after fosite's RefreshTokenStorage).
/// <see cref="RotateAsync"/> is atomic in every implementation: two processes rotating the same token at once
/// see one <see cref="RotationOutcome.Rotated"/> and the other a <see cref="RotationOutcome.WithinLeeway"/>.
/// Implementations throw <see cref="SessionStoreUnavailableException"/> when their backing server cannot be reached.
/// </summary>
public interface IRefreshSessionStore
{
    /// <summary>Stores a new session. The store expires it by itself at <see cref="RefreshSession.ExpiresAt"/>.</summary>
    /// <exception cref="MemberWithdrawnException">
    /// A store that keeps its sessions beside the members (the database) refuses a member who has withdrawn, ordered
    /// with the withdrawal that deletes the member's sessions: a login that read the member before the withdrawal
    /// committed cannot leave a session behind it. A store elsewhere (Redis) cannot tell; the withdrawal's late
    /// revocation ends such a session instead.
    /// </exception>
    Task CreateAsync(NewRefreshSession session, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically: if the presented hash is current, make it previous, store the successor, slide idle expiry
    /// (never past absolute expiry) and return <see cref="RotationOutcome.Rotated"/>; if it is the previous hash and
    /// <c>Now - rotatedAt &lt;= ReuseLeeway</c>, return <see cref="RotationOutcome.WithinLeeway"/> with the current
    /// nonce and hash; otherwise (a token the family no longer accepts) delete the session and return
    /// <see cref="RotationOutcome.Reused"/>. An expired or missing session is <see cref="RotationOutcome.NotFound"/>.
    /// </summary>
    Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken);

    Task<RefreshSession?> FindAsync(SessionId id, CancellationToken cancellationToken);

    /// <summary>The member's live sessions, newest first. Implementations find them through an index, never a scan.</summary>
    Task<IReadOnlyList<RefreshSession>> ListByMemberAsync(MemberId memberId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes one session and answers its owner, in one round trip; null if there was none (an expired session counts
    /// as none). The owner is what <c>session.revoked</c> names, so a logout needs no read before the delete.
    /// </summary>
    Task<MemberId?> RevokeAsync(SessionId id, CancellationToken cancellationToken);

    /// <summary>Deletes every session of a member; returns how many there were.</summary>
    Task<int> RevokeAllAsync(MemberId memberId, CancellationToken cancellationToken);
}

/// <summary>The session store's server (Redis, the database) cannot be reached in time.</summary>
public sealed class SessionStoreUnavailableException : Exception
{
    public SessionStoreUnavailableException()
    {
    }

    public SessionStoreUnavailableException(string message)
        : base(message)
    {
    }

    public SessionStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The member withdrew while their login was in flight: no session is started.</summary>
public sealed class MemberWithdrawnException : Exception
{
    public MemberWithdrawnException()
        : base("The member no longer exists (withdrawn).")
    {
    }

    public MemberWithdrawnException(string message)
        : base(message)
    {
    }

    public MemberWithdrawnException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
