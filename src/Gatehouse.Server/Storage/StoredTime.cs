namespace Gatehouse.Server.Storage;

/// <summary>
/// Every store keeps times as UTC milliseconds: Redis stores unix milliseconds, SQLite a unix-millisecond integer, and
/// PostgreSQL (microseconds) accepts only UTC <see cref="DateTimeOffset"/> values for <c>timestamptz</c>. Rounding
/// the same way everywhere lets one contract test hold for every store.
/// </summary>
internal static class StoredTime
{
    public static DateTimeOffset Normalize(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    public static DateTimeOffset? Normalize(DateTimeOffset? value) => value is { } v ? Normalize(v) : null;
}
