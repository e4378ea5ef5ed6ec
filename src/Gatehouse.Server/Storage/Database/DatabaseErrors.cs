using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Recognises provider errors in EF Core's wrappers (<c>DbUpdateException</c> and friends).</summary>
internal static class DatabaseErrors
{
    // https://www.sqlite.org/rescode.html
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteIoError = 10;
    private const int SqliteCantOpen = 14;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintForeignKey = 787;

    /// <summary>A unique index refused the row: SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL 23505.</summary>
    public static bool IsUniqueViolation(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey }
                or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A foreign key refused the row (its parent is gone): SQLite SQLITE_CONSTRAINT_FOREIGNKEY, PostgreSQL 23503.</summary>
    public static bool IsForeignKeyViolation(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteExtendedErrorCode: SqliteConstraintForeignKey }
                or PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The database could not be reached or stayed locked beyond the command timeout: broken infrastructure rather than
    /// a mistake in the statement.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException
                or NpgsqlException { IsTransient: true }
                || (e is PostgresException postgres && IsServerGone(postgres.SqlState)))
            {
                return true;
            }

            if (e is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked or SqliteIoError or SqliteCantOpen })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>PostgreSQL refused the login (class 28: no such role, wrong password): a setting to fix, not an outage.</summary>
    public static bool IsRefusedLogin(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres && postgres.SqlState.StartsWith("28", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The server ended the connection or the database went away: class 08 (connection exception), class 57P (operator
    /// intervention: an administrator's or a crash's shutdown, "cannot connect now", the database dropped), and 3D000
    /// (the database does not exist). Npgsql does not count these as transient, but for a caller they are an outage:
    /// a pooled connection that the server closed fails its next command this way, since Gatehouse keeps connections
    /// without a reset round trip (<see cref="DatabaseSetup.WithPostgresDefaults"/>).
    /// </summary>
    private static bool IsServerGone(string state) =>
        state.StartsWith("08", StringComparison.Ordinal)
        || state.StartsWith("57P", StringComparison.Ordinal)
        || state == PostgresErrorCodes.InvalidCatalogName;
}
