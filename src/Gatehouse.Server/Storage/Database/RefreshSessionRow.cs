namespace Gatehouse.Server.Storage.Database;

/// <summary>A row of <c>refresh_sessions</c>: one token family, holding only hashes of its tokens.</summary>
internal sealed class RefreshSessionRow
{
    public required string Id { get; set; }

    public required string MemberId { get; set; }

    public required byte[] CurrentHash { get; set; }

    public byte[]? PreviousHash { get; set; }

    /// <summary>The nonce the current token was derived with; null until the first rotation.</summary>
    public byte[]? Nonce { get; set; }

    public DateTimeOffset? RotatedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastUsedAt { get; set; }

    public DateTimeOffset IdleExpiresAt { get; set; }

    public DateTimeOffset AbsoluteExpiresAt { get; set; }

    public string? UserAgent { get; set; }
}
