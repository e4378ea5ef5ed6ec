namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// A row of <c>members</c>. The internal <see cref="Id"/> never leaves the database; the world knows a member by
/// <see cref="PublicId"/> (the access token's <c>sub</c>).
/// </summary>
internal sealed class MemberRow
{
    public long Id { get; set; }

    public required string PublicId { get; set; }

    public string? Email { get; set; }

    public string? NormalizedEmail { get; set; }

    public required string Nickname { get; set; }

    public string? PasswordHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the member withdrew: the row is a tombstone (no personal data) that keeps <see cref="PublicId"/> taken.</summary>
    public DateTimeOffset? WithdrawnAt { get; set; }
}
