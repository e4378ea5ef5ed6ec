using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Sets the per-connection SQLite pragmas on every open (pooled connections included: the pragmas are cheap and a
/// pooled connection cannot tell us whether it is new). <c>journal_mode=WAL</c> is a property of the file and is set
/// once by <see cref="DatabaseSetup.InitializeAsync"/>.
/// </summary>
/// <remarks>
/// <c>busy_timeout</c> makes a writer wait for the write lock instead of failing at once with SQLITE_BUSY ("database is
/// locked"): concurrent logins and refreshes queue. <c>synchronous=NORMAL</c> is the recommended setting with WAL: a
/// commit can be lost on power failure, never corrupted (https://www.sqlite.org/wal.html#performance_considerations).
/// </remarks>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    private readonly string _pragmas;

    public SqliteConnectionSetup(TimeSpan busyTimeout)
    {
        var milliseconds = ((long)busyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        _pragmas = "PRAGMA busy_timeout = " + milliseconds + "; PRAGMA synchronous = NORMAL;";
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        await using (command)
        {
            command.CommandText = _pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
