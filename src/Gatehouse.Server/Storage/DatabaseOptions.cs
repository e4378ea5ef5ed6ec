using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gatehouse.Server.Storage;

/// <summary>
/// Where members, signing keys and (by default) refresh sessions are kept. Section <c>Gatehouse:Database</c>; the
/// connection string is <c>ConnectionStrings:Gatehouse</c>.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Gatehouse:Database";
    public const string ConnectionStringName = "Gatehouse";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The embedded default: a file beside the server, relative to its content root.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/gatehouse.db";

    /// <summary><c>sqlite</c> (one instance, the default) or <c>postgres</c> (several instances share it).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Applies pending migrations at start-up; switch off where a deployment step migrates instead.</summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>How long one statement may run. Every store call is one short unit of work, so this stays small.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a start waits for a PostgreSQL server that cannot be reached yet (a platform that starts Gatehouse and its
    /// database together), trying again with a growing pause; then the start fails with one line. Zero: no wait.
    /// </summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>From <c>ConnectionStrings:Gatehouse</c>; for SQLite, <see cref="DefaultSqliteConnectionString"/> when absent.</summary>
    public string? ConnectionString { get; set; }

    public bool IsSqlite => string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase);

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whole seconds, at least one: what ADO.NET providers take.</summary>
    internal int CommandTimeoutSeconds => Math.Max(1, (int)Math.Ceiling(CommandTimeout.TotalSeconds));

    public IEnumerable<string> Validate()
    {
        if (!IsSqlite && !IsPostgres)
        {
            yield return $"{Section}:Provider must be '{Sqlite}' or '{Postgres}' (was '{Provider}').";
        }

        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{Section}:CommandTimeout must be between 00:00:01 and 00:05:00 (was {CommandTimeout}).";
        }

        if (StartupTimeout < TimeSpan.Zero || StartupTimeout > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:StartupTimeout must be between 00:00:00 and 00:10:00 (was {StartupTimeout}).";
        }

        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return $"{ConnectionStringKey} is required when {Section}:Provider is '{Postgres}'.";
        }

        // For SQLite an empty one is checked too: "Data Source=" resolves to "" (ResolveSqliteConnectionString).
        if (ConnectionString is not null && (IsSqlite || !string.IsNullOrWhiteSpace(ConnectionString)) && ConnectionStringError() is { } error)
        {
            yield return $"{ConnectionStringKey} is not a valid {Provider} connection string: {error}";
        }
    }

    private string? ConnectionStringError()
    {
        try
        {
            // The driver's builder parses it; naming where it points is the same work.
            _ = IsSqlite || IsPostgres ? Describe(ConnectionString!) : null;
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>Where the database is, for messages: the server and database, or the file; never a credential.</summary>
    internal string Describe()
    {
        try
        {
            return Describe(ConnectionString ?? (IsPostgres ? "" : DefaultSqliteConnectionString));
        }
        catch (ArgumentException)
        {
            return Provider;
        }
    }

    /// <exception cref="ArgumentException">The connection string is not one the driver accepts.</exception>
    private string Describe(string connectionString) => IsPostgres ? DescribePostgres(connectionString) : DescribeSqlite(connectionString);

    // One method per driver, never inlined: a method that names both drivers' types loads both assemblies, and a server
    // on SQLite has no use for Npgsql (nor one on PostgreSQL for Microsoft.Data.Sqlite).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string DescribeSqlite(string connectionString)
    {
        // An empty Data Source is a temporary database and ":memory:" (or Mode=Memory) an in-memory one, each private to
        // the connection that opened it: the migrations went into one that closed, and the start failed on "no such table".
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var source = builder.DataSource.Trim();
        if (source.Length == 0 || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory || source.StartsWith("file::memory:", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("it names no database file (Data Source is empty or in memory), so each connection would see a new, empty database. Name a file, e.g. Data Source=data/gatehouse.db.");
        }

        return "the SQLite database '" + builder.DataSource + "'";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string DescribePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("it names no server (Host), e.g. Host=db;Database=gatehouse;Username=gatehouse.");
        }

        return $"PostgreSQL at {builder.Host}:{builder.Port}, database '{builder.Database}'";
    }
}
