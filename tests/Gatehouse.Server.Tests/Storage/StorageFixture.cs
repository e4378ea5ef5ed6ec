using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>Which implementation a contract test runs against.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
    Redis,
    Memory,
}

/// <summary>
/// The servers one test class's stores run on: a migrated SQLite file always; in the distributed profile, a fresh,
/// migrated PostgreSQL database (<c>GATEHOUSE_TEST_POSTGRES</c>) and a Redis connection with a key prefix of its own
/// (<c>GATEHOUSE_TEST_REDIS</c>). Tests share them by using fresh random ids.
/// </summary>
public sealed class StorageFixture : IAsyncLifetime
{
    private string? _sqliteFile;
    private string? _postgresConnectionString;
    private IDbContextFactory<GatehouseDbContext>? _sqlite;
    private IDbContextFactory<GatehouseDbContext>? _postgres;
    private RedisConnection? _redis;

    public string RedisPrefix { get; } = TestEnvironment.NewRedisPrefix();

    /// <summary>scripts/test.sh sets the server variables for both profiles; the embedded one tests SQLite and memory only.</summary>
    public static string? PostgresServer => TestEnvironment.IsDistributed ? TestEnvironment.PostgresConnectionString : null;

    /// <inheritdoc cref="PostgresServer"/>
    public static string? RedisServer => TestEnvironment.IsDistributed ? TestEnvironment.RedisConfiguration : null;

    public const string NoPostgres = "PostgreSQL is tested in the distributed profile (GATEHOUSE_TEST_PROFILE=distributed, GATEHOUSE_TEST_POSTGRES).";
    public const string NoRedis = "Redis is tested in the distributed profile (GATEHOUSE_TEST_PROFILE=distributed, GATEHOUSE_TEST_REDIS).";

    public static IEnumerable<TheoryDataRow<StoreKind>> SessionStores => [new(StoreKind.Sqlite), new(StoreKind.Postgres), new(StoreKind.Redis)];

    public static IEnumerable<TheoryDataRow<StoreKind>> Databases => [new(StoreKind.Sqlite), new(StoreKind.Postgres)];

    public static IEnumerable<TheoryDataRow<StoreKind>> ThrottleStores => [new(StoreKind.Memory), new(StoreKind.Redis)];

    internal static DatabaseOptions DatabaseOptions(string provider, string connectionString) =>
        new() { Provider = provider, ConnectionString = connectionString };

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _sqliteFile = Path.Combine(TestEnvironment.ScratchDirectory, "gatehouse-test-" + TestEnvironment.RandomToken(6) + ".db");
        var sqliteOptions = DatabaseOptions(Gatehouse.Server.Storage.DatabaseOptions.Sqlite, "Data Source=" + _sqliteFile);
        var sqlite = new DbContextOptionsBuilder<SqliteGatehouseDbContext>();
        DatabaseSetup.UseSqlite(sqlite, sqliteOptions);
        _sqlite = new GatehouseDbContextFactory<SqliteGatehouseDbContext>(new PooledDbContextFactory<SqliteGatehouseDbContext>(sqlite.Options));
        await using (var db = await _sqlite.CreateDbContextAsync(ct))
        {
            await DatabaseSetup.InitializeAsync(db, sqliteOptions, ct);
        }

        if (PostgresServer is not null)
        {
            _postgresConnectionString = await TestEnvironment.CreatePostgresDatabaseAsync(ct);
            var postgresOptions = DatabaseOptions(Gatehouse.Server.Storage.DatabaseOptions.Postgres, _postgresConnectionString);
            var postgres = new DbContextOptionsBuilder<PostgresGatehouseDbContext>();
            DatabaseSetup.UsePostgres(postgres, postgresOptions);
            _postgres = new GatehouseDbContextFactory<PostgresGatehouseDbContext>(new PooledDbContextFactory<PostgresGatehouseDbContext>(postgres.Options));
            await using var db = await _postgres.CreateDbContextAsync(ct);
            await DatabaseSetup.InitializeAsync(db, postgresOptions, ct);
        }

        if (RedisServer is { } redis)
        {
            _redis = CreateRedisConnection(redis, RedisPrefix);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await DeleteRedisKeysAsync();
            await _redis.DisposeAsync();
        }

        if (_postgresConnectionString is not null)
        {
            await TestEnvironment.DropPostgresDatabaseAsync(_postgresConnectionString);
        }

        if (_sqliteFile is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { _sqliteFile, _sqliteFile + "-wal", _sqliteFile + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    internal static RedisConnection CreateRedisConnection(string configuration, string prefix) =>
        new(Options.Create(new RedisOptions { ConnectionString = configuration, KeyPrefix = prefix }), NullLogger<RedisConnection>.Instance);

    internal IDbContextFactory<GatehouseDbContext> Database(StoreKind kind) => kind switch
    {
        StoreKind.Sqlite => _sqlite!,
        StoreKind.Postgres => _postgres ?? throw SkipBecause(NoPostgres),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a database."),
    };

    internal RedisConnection Redis => _redis ?? throw SkipBecause(NoRedis);

    /// <summary>A direct handle on the test Redis for assertions about keys (TTL, MEMORY USAGE).</summary>
    internal async Task<IDatabase> RedisDatabaseAsync(CancellationToken cancellationToken) => await Redis.GetDatabaseAsync(cancellationToken);

    /// <summary>Every key under this fixture's prefix.</summary>
    internal async Task<List<RedisKey>> RedisKeysAsync(CancellationToken cancellationToken)
    {
        var db = await RedisDatabaseAsync(cancellationToken);
        var server = db.Multiplexer.GetServers()[0];
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: RedisPrefix + "*", pageSize: 500).WithCancellation(cancellationToken))
        {
            keys.Add(key);
        }

        return keys;
    }

    private async Task DeleteRedisKeysAsync()
    {
        try
        {
            var keys = await RedisKeysAsync(CancellationToken.None);
            if (keys.Count > 0)
            {
                var db = await RedisDatabaseAsync(CancellationToken.None);
                await db.KeyDeleteAsync([.. keys]);
            }
        }
        catch (RedisException)
        {
            // Every key has a TTL, so leftovers vanish by themselves.
        }
    }

    private static InvalidOperationException SkipBecause(string reason)
    {
        Assert.Skip(reason);
        return new InvalidOperationException(reason);
    }
}
