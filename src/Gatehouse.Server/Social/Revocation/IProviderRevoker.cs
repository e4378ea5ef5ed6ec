namespace Gatehouse.Server.Social.Revocation;

internal enum RevocationStatus
{
    /// <summary>The provider confirmed, or answered that there was nothing left to revoke.</summary>
    Revoked,

    /// <summary>Nothing to do here: the provider has no revocation, it is not configured, or no grant was kept.</summary>
    Skipped,

    /// <summary>A transient failure (timeout, 5xx, 429): the caller retries with backoff.</summary>
    RetryLater,

    /// <summary>A permanent refusal: retrying will not help; the caller dead-letters it.</summary>
    Failed,
}

internal sealed record RevocationResult(RevocationStatus Status, string? Error = null);

/// <summary>
/// Tells a provider that a member has left: Kakao unlink (admin key), Naver <c>grant_type=delete</c>, Google revoke,
/// Apple <c>/auth/revoke</c>, GitHub grant deletion. Makes HTTP calls only and never touches the database; safe to
/// repeat (the outbox may run a step more than once).
/// </summary>
internal interface IProviderRevoker
{
    /// <summary>True when revoking this provider needs the member's own token, so a sealed grant should be kept at login.</summary>
    bool NeedsGrant(string provider);

    /// <param name="sealedGrant">What <see cref="Core.Social.IProviderGrantStore"/> kept for this identity, or null.</param>
    Task<RevocationResult> RevokeAsync(string provider, string subject, byte[]? sealedGrant, CancellationToken cancellationToken);
}
