using Gatehouse.Core.Members;

namespace Gatehouse.Core.Social;

public enum AddMemberOutcome
{
    Added,

    /// <summary>The member's normalized email belongs to another member; nothing was stored.</summary>
    EmailTaken,

    /// <summary>(provider, subject) is already linked (a concurrent first login won); nothing was stored.</summary>
    IdentityTaken,
}

public enum LinkOutcome
{
    Linked,

    /// <summary>This (provider, subject) was already linked to this same member; its profile was refreshed.</summary>
    AlreadyLinked,

    /// <summary>This (provider, subject) belongs to another member.</summary>
    LinkedToAnotherMember,

    /// <summary>The member already has a different account of this provider linked.</summary>
    ProviderAlreadyLinked,

    MemberMissing,
}

public enum UnlinkOutcome
{
    Unlinked,
    NotLinked,

    /// <summary>Refused: it is the member's last way to log in (no password, no other identity).</summary>
    LastLoginMethod,
}

/// <summary>A member with the provider accounts linked to it, oldest link first.</summary>
public sealed record MemberProfile(Member Member, IReadOnlyList<MemberIdentity> Identities);

/// <summary>
/// Provider accounts linked to members. Every call is one short unit of work; none is ever held open across a call
/// to a provider. Uniqueness is decided by the database's unique indexes, not by a prior read.
/// </summary>
public interface IMemberIdentityStore
{
    Task<MemberIdentity?> FindAsync(string provider, string subject, CancellationToken cancellationToken);

    Task<IReadOnlyList<MemberIdentity>> ListAsync(MemberId member, CancellationToken cancellationToken);

    /// <summary>
    /// The member (not withdrawn) and its identities, read in one round trip: <c>GET /members/me</c> answers every
    /// request with it. Null when there is no such member or it withdrew.
    /// </summary>
    Task<MemberProfile?> FindProfileAsync(MemberId member, CancellationToken cancellationToken);

    /// <summary>Adds the member and its first identity in one transaction: both land or neither does.</summary>
    Task<AddMemberOutcome> TryAddMemberAsync(Member member, MemberIdentity identity, CancellationToken cancellationToken);

    /// <summary>Links an identity to an existing member.</summary>
    Task<LinkOutcome> TryLinkAsync(MemberIdentity identity, CancellationToken cancellationToken);

    /// <summary>
    /// A login: when (provider, subject) is linked, stores what the provider shares now (email, verified flag, name,
    /// picture) and the time, and answers the member it belongs to, in one statement; null (and nothing stored) when it
    /// is not linked. A returning member's login is this one round trip: <paramref name="sealedGrant"/>, when there is
    /// one, replaces the kept grant in the same statement (see <see cref="IProviderGrantStore"/>); null keeps it.
    /// </summary>
    Task<MemberId?> RecordLoginAsync(ExternalProfile profile, DateTimeOffset at, byte[]? sealedGrant, CancellationToken cancellationToken);

    /// <summary>Removes the member's identity of <paramref name="provider"/>, unless it is the last way to log in (checked in the same transaction).</summary>
    Task<UnlinkOutcome> UnlinkAsync(MemberId member, string provider, CancellationToken cancellationToken);
}
