using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// The database at start-up. A PostgreSQL server that cannot be reached yet is waited for, up to
/// <see cref="DatabaseOptions.StartupTimeout"/>, trying again with a growing pause and a warning each time: platforms
/// start Gatehouse and its database together, and the first seconds of a restart are not an error. A database that
/// stays out of reach, refuses the login, or (SQLite) cannot be opened ends the start with
/// <see cref="DatabaseUnreachableException"/>, which the entry point writes as one line (exit code 3), not as a stack
/// trace. No message carries the connection string: it holds the password.
/// </summary>
internal static partial class DatabaseStartup
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    /// <summary>Initializes the database (<see cref="DatabaseSetup.InitializeAsync"/>) once it answers; see the class summary for the failures.</summary>
    /// <param name="contexts">Resolved inside: building the SQLite options creates the file's folder, which can fail too.</param>
    public static async Task InitializeAsync(Func<IDbContextFactory<GatehouseDbContext>> contexts, DatabaseOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts().CreateDbContextAsync(cancellationToken);
            if (db is PostgresGatehouseDbContext)
            {
                await WaitUntilReachableAsync(db, options, logger, cancellationToken);
            }

            await DatabaseSetup.InitializeAsync(db, options, cancellationToken);
        }
        catch (Exception e) when (e is not DatabaseUnreachableException && (DatabaseErrors.IsUnavailable(e) || DatabaseErrors.IsRefusedLogin(e) || FolderRefused(options, e) || DriverRefused(e)))
        {
            throw new DatabaseUnreachableException($"{options.Describe()} cannot be used: {Reason(e)}", e);
        }
    }

    private static async Task WaitUntilReachableAsync(GatehouseDbContext db, DatabaseOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            try
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                await db.Database.CloseConnectionAsync();
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
            {
                var left = options.StartupTimeout - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    throw new DatabaseUnreachableException(
                        $"{options.Describe()} could not be reached within {options.StartupTimeout.TotalSeconds:0.#} s (Gatehouse:Database:StartupTimeout): {Reason(e)}", e);
                }

                var wait = pause < left ? pause : left;
                LogWaiting(logger, options.Describe(), Reason(e), wait.TotalSeconds, left.TotalSeconds);
                await Task.Delay(wait, cancellationToken);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
    }

    /// <summary>
    /// Anything else the driver refused while connecting or migrating (PostgreSQL without TLS for <c>SSL Mode=Require</c>,
    /// a role that may not create tables, a read-only SQLite file): the driver's own words say what to fix, where a stack
    /// trace said it less plainly.
    /// </summary>
    private static bool DriverRefused(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>SQLite's folder cannot be created (a read-only or missing mount): the file cannot be opened either.</summary>
    private static bool FolderRefused(DatabaseOptions options, Exception e) =>
        options.IsSqlite && e is IOException or UnauthorizedAccessException;

    /// <summary>The driver's own words (and the socket's), on one line: not EF Core's "likely due to a transient failure" wrapper.</summary>
    internal static string Reason(Exception exception)
    {
        DbException? driver = null;
        SocketException? socket = null;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            driver = e as DbException ?? driver;
            socket ??= e as SocketException;
        }

        var text = driver?.Message ?? exception.Message;
        if (socket is not null && !text.Contains(socket.Message, StringComparison.Ordinal))
        {
            text += " (" + socket.Message + ")";
        }

        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 300 ? text : text[..300] + "…";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Database} cannot be reached yet ({Reason}); trying again in {PauseSeconds:0.##} s, for {LeftSeconds:0.#} s more at most.")]
    private static partial void LogWaiting(ILogger logger, string database, string reason, double pauseSeconds, double leftSeconds);
}

/// <summary>The database could not be reached or used at start-up; the message says which one and why, without credentials.</summary>
internal sealed class DatabaseUnreachableException(string message, Exception? innerException) : Exception(message, innerException);
