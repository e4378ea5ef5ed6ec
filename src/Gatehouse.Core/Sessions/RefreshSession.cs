using Gatehouse.Core.Members;

namespace Gatehouse.Core.Sessions;

/// <summary>What a member may see of one of their sessions.</summary>
public sealed record RefreshSession(
    SessionId Id,
    MemberId MemberId,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset IdleExpiresAt,
    DateTimeOffset AbsoluteExpiresAt,
    string? UserAgent)
{
    /// <summary>The session ends at whichever comes first: idle expiry (slides with use) or absolute expiry (never slides).</summary>
    public DateTimeOffset ExpiresAt => IdleExpiresAt < AbsoluteExpiresAt ? IdleExpiresAt : AbsoluteExpiresAt;
}

/// <summary>
/// A new session as a store keeps it. Only hashes of refresh tokens are stored (never the tokens).
/// </summary>
public sealed record NewRefreshSession(RefreshSession Session, byte[] TokenHash);

/// <summary>One atomic rotation: the store compares <see cref="PresentedHash"/> with what it holds and decides.</summary>
/// <param name="SuccessorHash">The hash of the token that replaces the presented one if it is current.</param>
/// <param name="SuccessorNonce">The random input the successor was derived with; kept so that a replay within the leeway can be answered with the same successor.</param>
public sealed record RotationRequest(
    SessionId Id,
    byte[] PresentedHash,
    byte[] SuccessorHash,
    byte[] SuccessorNonce,
    DateTimeOffset Now,
    TimeSpan IdleLifetime,
    TimeSpan ReuseLeeway);

public enum RotationOutcome
{
    /// <summary>The presented token was current; it is now the previous one and the successor is current.</summary>
    Rotated,

    /// <summary>The presented token is the immediately previous one, still inside the reuse leeway: answer with the current successor.</summary>
    WithinLeeway,

    /// <summary>The presented token was a dead member of the family: the whole family has been deleted.</summary>
    Reused,

    /// <summary>No such session (never existed, logged out, revoked, or expired).</summary>
    NotFound,
}

/// <param name="Session">The session after the operation; null for <see cref="RotationOutcome.Reused"/> and <see cref="RotationOutcome.NotFound"/>.</param>
/// <param name="CurrentNonce">For <see cref="RotationOutcome.WithinLeeway"/>: the nonce the current token was derived with.</param>
/// <param name="CurrentHash">For <see cref="RotationOutcome.WithinLeeway"/>: the hash of the current token.</param>
public sealed record RotationResult(
    RotationOutcome Outcome,
    RefreshSession? Session,
    byte[]? CurrentNonce = null,
    byte[]? CurrentHash = null)
{
    /// <summary>For <see cref="RotationOutcome.Reused"/>: whose family was revoked, so the security event can name them.</summary>
    public MemberId? RevokedMember { get; init; }
}
