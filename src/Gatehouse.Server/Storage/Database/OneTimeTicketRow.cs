namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// A row of <c>one_time_tickets</c>: a short-lived, single-use record. Expired rows are treated as absent and deleted
/// later by <see cref="ExpiredSessionSweeper"/>.
/// </summary>
internal sealed class OneTimeTicketRow
{
    public required string Key { get; set; }

    public required byte[] Value { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
