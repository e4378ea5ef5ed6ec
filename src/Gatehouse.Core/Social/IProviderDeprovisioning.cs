namespace Gatehouse.Core.Social;

/// <summary>
/// Deprovisioning that comes from a provider: Kakao's unlink callback, Apple's server-to-server notifications
/// (<c>consent-revoked</c>, <c>account-delete</c>). The endpoints that receive them verify the sender, call
/// <see cref="RecordAsync"/> (which only writes the request down durably, so the provider gets its answer at once) and
/// the handling runs afterwards through the same unlink or withdrawal machinery as a member's own request.
/// </summary>
public interface IProviderDeprovisioning
{
    /// <param name="reason">Stable, lower case: <c>unlinked</c> (the user removed the app), <c>account_deleted</c> (the provider account is gone).</param>
    Task RecordAsync(string provider, string subject, string reason, CancellationToken cancellationToken);
}
