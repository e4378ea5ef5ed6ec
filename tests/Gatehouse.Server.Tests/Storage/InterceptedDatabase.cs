using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>A context factory on a fixture's database (SQLite or PostgreSQL) whose commands pass through an interceptor.</summary>
internal static class InterceptedDatabase
{
    public static async Task<IDbContextFactory<GatehouseDbContext>> CreateAsync(StorageFixture fixture, StoreKind kind, IInterceptor interceptor, CancellationToken cancellationToken)
    {
        string connectionString;
        await using (var db = await fixture.Database(kind).CreateDbContextAsync(cancellationToken))
        {
            connectionString = db.Database.GetConnectionString()!;
        }

        return Create(kind == StoreKind.Postgres ? DatabaseOptions.Postgres : DatabaseOptions.Sqlite, connectionString, interceptor);
    }

    /// <summary>
    /// The slow-read races queue their writers on purpose (ten SQLite unlinks, each holding the write lock for a delayed
    /// read): on a loaded machine the last one has waited beyond the shipped 5 s busy timeout ("database is locked").
    /// What they check is which writer wins, not how long the others wait.
    /// </summary>
    private static DatabaseOptions Patient(string provider, string connectionString)
    {
        var options = StorageFixture.DatabaseOptions(provider, connectionString);
        options.CommandTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    /// <summary>On the database a host of <see cref="Infrastructure.GatehouseFactory"/> uses (its provider and connection string).</summary>
    public static IDbContextFactory<GatehouseDbContext> Create(string provider, string connectionString, IInterceptor interceptor)
    {
        if (provider == DatabaseOptions.Postgres)
        {
            var postgres = new DbContextOptionsBuilder<PostgresGatehouseDbContext>();
            DatabaseSetup.UsePostgres(postgres, Patient(DatabaseOptions.Postgres, connectionString));
            postgres.AddInterceptors(interceptor);
            return new GatehouseDbContextFactory<PostgresGatehouseDbContext>(new PooledDbContextFactory<PostgresGatehouseDbContext>(postgres.Options));
        }

        var sqlite = new DbContextOptionsBuilder<SqliteGatehouseDbContext>();
        DatabaseSetup.UseSqlite(sqlite, Patient(DatabaseOptions.Sqlite, connectionString));
        sqlite.AddInterceptors(interceptor);
        return new GatehouseDbContextFactory<SqliteGatehouseDbContext>(new PooledDbContextFactory<SqliteGatehouseDbContext>(sqlite.Options));
    }
}

/// <summary>Counts the commands sent to the database, and keeps their text (round trips, as a test sees them).</summary>
internal sealed class CommandCounter : DbCommandInterceptor
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _commands = new();

    public IReadOnlyList<string> Commands => [.. _commands];

    public void Reset() => _commands.Clear();

    public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
        System.Data.Common.DbCommand command, CommandEventData eventData, InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
    {
        _commands.Enqueue(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        System.Data.Common.DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        _commands.Enqueue(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        System.Data.Common.DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        _commands.Enqueue(command.CommandText);
        return ValueTask.FromResult(result);
    }
}
