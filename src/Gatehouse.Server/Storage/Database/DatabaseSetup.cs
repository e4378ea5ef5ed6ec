using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Gatehouse.Server.Storage.Database;

/// <summary>How each provider is configured, shared by the server, the design-time factories and the tests.</summary>
internal static class DatabaseSetup
{
    public static void UseSqlite(DbContextOptionsBuilder builder, DatabaseOptions options)
    {
        var connectionString = options.ConnectionString ?? DatabaseOptions.DefaultSqliteConnectionString;
        EnsureSqliteDirectory(connectionString);
        builder
            .UseSqlite(connectionString, sqlite => sqlite.CommandTimeout(options.CommandTimeoutSeconds))
            .AddInterceptors(new SqliteConnectionSetup(options.CommandTimeout))
            .ConfigureWarnings(SkipModelCheckAtStart)
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking);
    }

    public static void UsePostgres(DbContextOptionsBuilder builder, DatabaseOptions options)
    {
        // Npgsql pools physical connections by itself (Pooling=true unless the connection string says otherwise);
        // the pooled DbContext factory on top of it reuses the contexts.
        builder
            .UseNpgsql(WithPostgresDefaults(options.ConnectionString), npgsql => npgsql.CommandTimeout(options.CommandTimeoutSeconds))
            .ConfigureWarnings(SkipModelCheckAtStart)
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking);
    }

    /// <summary>
    /// The model comes precompiled (<c>CompiledModels/</c>, found through its assembly attribute), so a start does not
    /// build it from <c>OnModelCreating</c>. Applying migrations would still build it, only to compare it with the
    /// migrations' snapshot (EF Core's <c>PendingModelChangesWarning</c>): about 200 ms of a first start. That
    /// comparison, and the one between the compiled model and the code, run in the test suite instead
    /// (<c>MigrationTests</c>), which nothing lands without; so the server skips it.
    /// </summary>
    private static void SkipModelCheckAtStart(Microsoft.EntityFrameworkCore.Diagnostics.WarningsConfigurationBuilder warnings) =>
        warnings.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning);

    /// <summary>
    /// Npgsql settings Gatehouse changes from Npgsql's defaults, each only when the connection string does not set it:
    /// <list type="bullet">
    /// <item><c>No Reset On Close=true</c>: Gatehouse leaves no session state on a connection (the migration lock is
    /// released explicitly), so the <c>DISCARD ALL</c> Npgsql sends each time a pooled connection is reused buys nothing
    /// and cost a round trip and a statement per unit of work.</item>
    /// <item><c>Max Auto Prepare=20</c>: the hot statements are prepared on each physical connection after a few uses,
    /// so PostgreSQL stops parsing and planning them every time (PgBouncer in transaction mode needs 1.21+ with
    /// <c>max_prepared_statements</c> for this; set <c>Max Auto Prepare=0</c> in the connection string otherwise).</item>
    /// </list>
    /// Together they more than halved PostgreSQL's CPU per social login (bench/RESULTS.md).
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(connectionString))]
    public static string? WithPostgresDefaults(string? connectionString)
    {
        if (connectionString is null)
        {
            return null;
        }

        // NpgsqlConnectionStringBuilder.ContainsKey answers whether a keyword exists, not whether it was given; the
        // keys as written ("No Reset On Close", "NoResetOnClose", any case) come from the plain parser.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("NORESETONCLOSE"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.Contains("MAXAUTOPREPARE"))
        {
            builder.MaxAutoPrepare = 20;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// The SQLite connection string with a relative file made absolute against <paramref name="baseDirectory"/> (the
    /// content root), so the database does not move with the process's working directory.
    /// </summary>
    public static string ResolveSqliteConnectionString(string? connectionString, string baseDirectory)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? DatabaseOptions.DefaultSqliteConnectionString : connectionString);
        if (IsFile(builder) && !Path.IsPathRooted(builder.DataSource))
        {
            builder.DataSource = Path.GetFullPath(Path.Combine(baseDirectory, builder.DataSource));
        }

        return builder.ConnectionString;
    }

    /// <summary>Applies migrations when configured; for SQLite first creates the folder and switches the file to WAL.</summary>
    public static async Task InitializeAsync(GatehouseDbContext db, DatabaseOptions options, CancellationToken cancellationToken)
    {
        if (db is SqliteGatehouseDbContext)
        {
            EnsureSqliteDirectory(db.Database.GetConnectionString());

            // WAL lets readers run while one writer writes; the mode is stored in the file, so once is enough.
            // https://www.sqlite.org/pragma.html#pragma_journal_mode
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        if (!options.ApplyMigrations)
        {
            return;
        }

        if (db is not PostgresGatehouseDbContext)
        {
            await MigrateIfPendingAsync(db, cancellationToken);
            return;
        }

        // Several instances may start at once on one database. EF Core's own migration lock is taken per migration,
        // so with more than one pending migration two instances could interleave and both create the same table;
        // a session-level advisory lock held on this connection across the whole check-and-migrate serializes them.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock(" + MigrationLockKey + ")", cancellationToken);
            try
            {
                await MigrateIfPendingAsync(db, cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock(" + MigrationLockKey + ")", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>An arbitrary, fixed advisory-lock key: "Gatehouse migrations".</summary>
    private const string MigrationLockKey = "4747010101";

    /// <summary>
    /// MigrateAsync also compares the model with the last snapshot (EF Core 9+), which costs hundreds of milliseconds of
    /// start-up; when the history already lists every migration there is nothing to apply.
    /// </summary>
    private static async Task MigrateIfPendingAsync(GatehouseDbContext db, CancellationToken cancellationToken)
    {
        if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    private static void EnsureSqliteDirectory(string? connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (IsFile(builder) && Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }
    }

    private static bool IsFile(SqliteConnectionStringBuilder builder) =>
        builder.Mode != SqliteOpenMode.Memory
        && !string.IsNullOrEmpty(builder.DataSource)
        && !string.Equals(builder.DataSource, ":memory:", StringComparison.Ordinal)
        && !builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
}
