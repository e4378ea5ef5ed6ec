namespace Gatehouse.Core.Social;

/// <summary>
/// The provider's user, as every provider is reduced to: who they are at that provider (<see cref="Subject"/>), and
/// what the provider chose to share. A member is found by (<see cref="Provider"/>, <see cref="Subject"/>) alone;
/// <see cref="Email"/> may be missing (some Kakao users have none) and never identifies anyone by itself.
/// </summary>
public sealed record ExternalProfile(string Provider, string Subject, string? Email, bool EmailVerified, string? Name, string? Picture);

/// <summary>A provider account linked to a member: one per provider per member, and one member per (provider, subject).</summary>
public sealed record MemberIdentity(
    Members.MemberId MemberId,
    string Provider,
    string Subject,
    string? Email,
    bool EmailVerified,
    string? Name,
    string? Picture,
    DateTimeOffset LinkedAt,
    DateTimeOffset LastLoginAt)
{
    public static MemberIdentity From(Members.MemberId member, ExternalProfile profile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(member, profile.Provider, profile.Subject, profile.Email, profile.EmailVerified, profile.Name, profile.Picture, now, now);
    }
}
