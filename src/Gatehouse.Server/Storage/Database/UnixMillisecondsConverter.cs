using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Stores a <see cref="DateTimeOffset"/> as unix milliseconds (UTC), an integer SQLite can compare and order.</summary>
internal sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.ToUnixTimeMilliseconds(),
    value => DateTimeOffset.FromUnixTimeMilliseconds(value));
