using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Throttling;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Memory;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary><see cref="StorageServiceCollectionExtensions"/>: what each configuration registers, and how bad configuration fails.</summary>
public sealed class StorageRegistrationTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _contentRoot = Path.Combine(TestEnvironment.ScratchDirectory, "gatehouse-root-" + TestEnvironment.RandomToken(6));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_contentRoot))
        {
            Directory.Delete(_contentRoot, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task The_embedded_default_is_sqlite_under_the_content_root_with_wal_and_migrations()
    {
        await using var services = Build([]);

        await services.InitializeGatehouseStorageAsync(Ct);

        var file = Path.Combine(_contentRoot, "data", "gatehouse.db");
        Assert.True(File.Exists(file));
        Assert.IsType<EfRefreshSessionStore>(services.GetRequiredService<IRefreshSessionStore>());
        Assert.IsType<MemoryLoginThrottleStore>(services.GetRequiredService<ILoginThrottleStore>());
        Assert.IsType<EfMemberStore>(services.GetRequiredService<IMemberStore>());
        Assert.IsType<EfSigningKeyStore>(services.GetRequiredService<ISigningKeyStore>());
        Assert.Contains(services.GetServices<IHostedService>(), s => s is ExpiredSessionSweeper);

        await using var db = await services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        Assert.IsType<SqliteGatehouseDbContext>(db);
        Assert.Equal(["wal"], await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync(Ct));
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(Ct));
        Assert.Equal(0, await db.Members.CountAsync(Ct));
    }

    [Fact]
    public async Task Migrations_are_skipped_when_switched_off()
    {
        await using var services = Build(new() { ["Gatehouse:Database:ApplyMigrations"] = "false" });

        await services.InitializeGatehouseStorageAsync(Ct);

        await using var db = await services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync(Ct));
    }

    [Fact]
    public async Task The_database_health_check_is_ready_when_the_database_answers()
    {
        await using var services = Build([]);
        await services.InitializeGatehouseStorageAsync(Ct);

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), Ct);

        Assert.Equal(["database"], report.Entries.Keys);
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task Redis_sessions_bring_redis_throttling_and_a_redis_health_check()
    {
        await using var services = Build(new()
        {
            ["Gatehouse:Sessions:Store"] = "redis",
            ["ConnectionStrings:Redis"] = "127.0.0.1:" + TestEnvironment.FreeTcpPort(),
        });
        await services.InitializeGatehouseStorageAsync(Ct);

        Assert.IsType<RedisRefreshSessionStore>(services.GetRequiredService<IRefreshSessionStore>());
        Assert.IsType<RedisLoginThrottleStore>(services.GetRequiredService<ILoginThrottleStore>());
        Assert.DoesNotContain(services.GetServices<IHostedService>(), s => s is ExpiredSessionSweeper);

        // Nobody listens on that port: the redis check fails, within its timeouts, and the database one passes.
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), Ct);
        Assert.Equal(HealthStatus.Healthy, report.Entries["database"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["redis"].Status);
    }

    [Fact]
    public async Task A_live_redis_is_ready()
    {
        Assert.SkipWhen(StorageFixture.RedisServer is null, StorageFixture.NoRedis);
        await using var services = Build(new()
        {
            ["Gatehouse:Sessions:Store"] = "redis",
            ["ConnectionStrings:Redis"] = StorageFixture.RedisServer,
            ["Gatehouse:Redis:KeyPrefix"] = TestEnvironment.NewRedisPrefix(),
        });
        await services.InitializeGatehouseStorageAsync(Ct);

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), Ct);

        Assert.Equal(HealthStatus.Healthy, report.Entries["redis"].Status);
    }

    [Fact]
    public async Task Postgres_is_migrated_through_the_same_registration()
    {
        Assert.SkipWhen(StorageFixture.PostgresServer is null, StorageFixture.NoPostgres);
        var connectionString = await TestEnvironment.CreatePostgresDatabaseAsync(Ct);
        try
        {
            await using var services = Build(new()
            {
                ["Gatehouse:Database:Provider"] = "postgres",
                ["ConnectionStrings:Gatehouse"] = connectionString,
            });

            await services.InitializeGatehouseStorageAsync(Ct);

            await using var db = await services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
            Assert.IsType<PostgresGatehouseDbContext>(db);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync(Ct));
            var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), Ct);
            Assert.Equal(HealthStatus.Healthy, report.Status);
        }
        finally
        {
            await TestEnvironment.DropPostgresDatabaseAsync(connectionString, Ct);
        }
    }

    [Theory]
    [InlineData("Gatehouse:Database:Provider", "mysql", "Gatehouse:Database:Provider must be 'sqlite' or 'postgres'")]
    [InlineData("Gatehouse:Database:Provider", "postgres", "ConnectionStrings:Gatehouse is required when Gatehouse:Database:Provider is 'postgres'")]
    [InlineData("ConnectionStrings:Gatehouse", "Data Source=x.db;Flavour=Strawberry", "ConnectionStrings:Gatehouse is not a valid sqlite connection string")]
    [InlineData("ConnectionStrings:Gatehouse", "Data Source=file::memory:?cache=shared", "ConnectionStrings:Gatehouse is not a valid sqlite connection string: it names no database file")]
    [InlineData("ConnectionStrings:Gatehouse", "Data Source=x.db;Mode=Memory", "ConnectionStrings:Gatehouse is not a valid sqlite connection string: it names no database file")]
    [InlineData("Gatehouse:Database:CommandTimeout", "00:00:00", "Gatehouse:Database:CommandTimeout must be between")]
    [InlineData("Gatehouse:Sessions:Store", "memcached", "Gatehouse:Sessions:Store must be 'database' or 'redis'")]
    [InlineData("Gatehouse:Sessions:Store", "redis", "ConnectionStrings:Redis is required when Gatehouse:Sessions:Store is 'redis'")]
    public async Task Bad_configuration_fails_with_a_message_naming_the_key(string key, string value, string message)
    {
        await using var services = Build(new() { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            // What Program runs right after the host is built, and what InitializeGatehouseStorageAsync meets first.
            StartupErrors.ValidateConfiguration(services);

            await services.InitializeGatehouseStorageAsync(Ct);
        });

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    /// <summary>Npgsql took an empty Host, and the start ended in an unhandled ArgumentNullException.</summary>
    [Fact]
    public async Task A_postgres_connection_string_without_a_host_fails_with_a_message_naming_the_key()
    {
        await using var services = Build(new() { ["Gatehouse:Database:Provider"] = "postgres", ["ConnectionStrings:Gatehouse"] = "Host=;Port=5432;Database=gatehouse" });

        var error = Assert.Throws<OptionsValidationException>(() => StartupErrors.ValidateConfiguration(services));

        Assert.Contains(error.Failures, f => f.StartsWith("ConnectionStrings:Gatehouse is not a valid postgres connection string: it names no server (Host)", StringComparison.Ordinal));
    }

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings[HostDefaults.ContentRootKey] = _contentRoot;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddGatehouseStorage(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = false });
    }
}
