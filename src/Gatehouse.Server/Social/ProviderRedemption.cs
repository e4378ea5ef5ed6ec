using Gatehouse.Core.Social;

namespace Gatehouse.Server.Social;

/// <summary>What a provider handed back for a code: who the user is, and the tokens it issued to Gatehouse.</summary>
internal sealed record ProviderRedemption(ExternalProfile Profile, ProviderGrant Grant);

/// <summary>
/// The provider's own tokens for this member (never Gatehouse's). Kept, sealed, only where revoking the link later
/// needs them (<see cref="Revocation.IProviderRevoker.NeedsGrant"/>); otherwise dropped once the profile is read.
/// </summary>
/// <param name="ExpiresAt">When <see cref="AccessToken"/> expires, from the token response's <c>expires_in</c>; null when not sent.</param>
internal sealed record ProviderGrant(string AccessToken, string? RefreshToken, DateTimeOffset? ExpiresAt)
{
    /// <summary>Never the tokens: a record's generated ToString would print them into any log or exception message.</summary>
    public override string ToString() => $"ProviderGrant {{ RefreshToken = {(RefreshToken is null ? "none" : "kept")}, ExpiresAt = {ExpiresAt:O} }}";
}
