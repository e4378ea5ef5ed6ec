namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// A row of <c>member_identities</c>: one provider account linked to a member. It references the member's internal
/// <see cref="MemberRow.Id"/> (deleting the member deletes its identities); the world sees the member's public id.
/// </summary>
internal sealed class MemberIdentityRow
{
    public long Id { get; set; }

    public long MemberId { get; set; }

    public MemberRow? Member { get; set; }

    public required string Provider { get; set; }

    public required string Subject { get; set; }

    public string? Email { get; set; }

    public bool EmailVerified { get; set; }

    public string? Name { get; set; }

    public string? Picture { get; set; }

    public DateTimeOffset LinkedAt { get; set; }

    public DateTimeOffset LastLoginAt { get; set; }

    /// <summary>
    /// What the provider handed back at login that revoking it later needs (its token), sealed with the master key
    /// (<see cref="Core.Social.IProviderGrantStore"/>); null when none is needed or none was kept.
    /// </summary>
    public byte[]? SealedGrant { get; set; }
}
