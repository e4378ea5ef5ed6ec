namespace Gatehouse.Core.Social;

/// <summary>
/// Keeps, on a linked identity, what a provider handed back at login that Gatehouse needs later to tell that provider
/// the member has left (Naver's <c>grant_type=delete</c>, Google's and Apple's revoke, GitHub's grant deletion need the
/// member's own token; Kakao's unlink with the admin key needs none). The grant is sealed with the master key before it
/// reaches the store and is kept for that purpose only.
/// </summary>
public interface IProviderGrantStore
{
    /// <summary>Replaces the sealed grant of (provider, subject); does nothing when that identity is not linked.</summary>
    Task SaveAsync(string provider, string subject, byte[] sealedGrant, CancellationToken cancellationToken);
}
