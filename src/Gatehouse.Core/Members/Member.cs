namespace Gatehouse.Core.Members;

/// <summary>A member of the product, as Gatehouse knows it.</summary>
public sealed class Member
{
    public required MemberId Id { get; init; }

    /// <summary>As the member typed it; may be null for social members whose provider shares none.</summary>
    public string? Email { get; set; }

    /// <summary>The lookup form of <see cref="Email"/> (see <see cref="EmailAddress.Normalize"/>); unique.</summary>
    public string? NormalizedEmail { get; set; }

    public required string Nickname { get; set; }

    /// <summary>An argon2id PHC string; null for members without a password.</summary>
    public string? PasswordHash { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}
