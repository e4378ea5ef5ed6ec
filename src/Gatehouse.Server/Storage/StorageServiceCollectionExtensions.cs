using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Social;
using Gatehouse.Core.Throttling;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Memory;
using Gatehouse.Server.Storage.Redis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stores behind the Core interfaces: the database (SQLite or PostgreSQL, <c>Gatehouse:Database</c>)
    /// for members, their linked provider accounts and signing keys; refresh sessions in the database or Redis
    /// (<c>Gatehouse:Sessions:Store</c>); one-time tickets (social login state) and login throttling in Redis when
    /// sessions are there, else in the database and in the process respectively. Adds the <c>database</c> and, with
    /// Redis, <c>redis</c> health checks (tag <c>ready</c>). Bad configuration fails start-up with messages naming the keys.
    /// </summary>
    public static IServiceCollection AddGatehouseStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);

        // Relative SQLite files live under the content root (as data/master.key does), not wherever the process was started.
        var contentRoot = configuration[HostDefaults.ContentRootKey] is { Length: > 0 } root ? root : Directory.GetCurrentDirectory();
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o =>
            {
                o.ConnectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
                if (o.IsSqlite)
                {
                    try
                    {
                        o.ConnectionString = DatabaseSetup.ResolveSqliteConnectionString(o.ConnectionString, contentRoot);
                    }
                    catch (ArgumentException)
                    {
                        // Left as configured: DatabaseOptions.Validate reports it with the key's name.
                    }
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>>(new OptionsValidator<DatabaseOptions>(o => o.Validate()));

        services.AddOptions<SessionStoreOptions>().Bind(configuration.GetSection(SessionStoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionStoreOptions>>(new OptionsValidator<SessionStoreOptions>(o => o.Validate()));

        AddDatabase(services, configuration);
        services.TryAddSingleton<IMemberStore, EfMemberStore>();
        services.TryAddSingleton<IMemberIdentityStore, EfMemberIdentityStore>();
        services.TryAddSingleton<ISigningKeyStore, EfSigningKeyStore>();
        var healthChecks = services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

        // The choice is made here, from the raw value, because it decides which services exist; an invalid value
        // falls through to the database and is reported by the validation above when the host starts.
        var sessions = configuration.GetSection(SessionStoreOptions.Section).Get<SessionStoreOptions>() ?? new SessionStoreOptions();
        if (sessions.UsesRedis)
        {
            services.AddOptions<RedisOptions>()
                .Bind(configuration.GetSection(RedisOptions.Section))
                .Configure(o => o.ConnectionString = configuration.GetConnectionString(RedisOptions.ConnectionStringName))
                .ValidateOnStart();
            services.AddSingleton<IValidateOptions<RedisOptions>>(new OptionsValidator<RedisOptions>(o => o.Validate()));
            services.TryAddSingleton<RedisConnection>();
            services.TryAddSingleton<IRefreshSessionStore, RedisRefreshSessionStore>();
            services.TryAddSingleton<ILoginThrottleStore, RedisLoginThrottleStore>();
            services.TryAddSingleton<IOneTimeTicketStore, RedisOneTimeTicketStore>();
            healthChecks.AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        }
        else
        {
            services.TryAddSingleton<IRefreshSessionStore, EfRefreshSessionStore>();
            services.TryAddSingleton<ILoginThrottleStore, MemoryLoginThrottleStore>();
            services.TryAddSingleton<IOneTimeTicketStore, EfOneTimeTicketStore>();
            services.AddHostedService<ExpiredSessionSweeper>();
        }

        return services;
    }

    /// <summary>
    /// Before the first request: waits for a PostgreSQL server that is not up yet (<see cref="DatabaseStartup"/>); for
    /// SQLite creates the data folder and turns on WAL; applies migrations unless
    /// <c>Gatehouse:Database:ApplyMigrations</c> is false; with Redis, makes the first connection attempt (bounded by
    /// <c>Gatehouse:Redis:ConnectTimeout</c>, and not fatal: Redis may come up later) so no request waits for it.
    /// Throws the options validation errors if the configuration is bad.
    /// </summary>
    public static async Task InitializeGatehouseStorageAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseStartup));
        await DatabaseStartup.InitializeAsync(services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>, options, logger, cancellationToken);

        if (services.GetService<RedisConnection>() is { } redis)
        {
            _ = services.GetRequiredService<IOptions<RedisOptions>>().Value;
            try
            {
                await redis.GetDatabaseAsync(cancellationToken);
            }
            catch (Exception e) when (RedisFailures.IsRedisFailure(e))
            {
                // Reported by the redis health check and by each request that needs Redis until it answers.
            }
        }
    }

    private static void AddDatabase(IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration[DatabaseOptions.Section + ":Provider"];
        if (string.Equals(provider, DatabaseOptions.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            services.AddPooledDbContextFactory<PostgresGatehouseDbContext>((sp, builder) =>
            {
                DatabaseSetup.UsePostgres(builder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value);
                AddInterceptors(sp, builder);
            });
            services.TryAddSingleton<IDbContextFactory<GatehouseDbContext>, GatehouseDbContextFactory<PostgresGatehouseDbContext>>();
        }
        else
        {
            services.AddPooledDbContextFactory<SqliteGatehouseDbContext>((sp, builder) =>
            {
                DatabaseSetup.UseSqlite(builder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value);
                AddInterceptors(sp, builder);
            });
            services.TryAddSingleton<IDbContextFactory<GatehouseDbContext>, GatehouseDbContextFactory<SqliteGatehouseDbContext>>();
        }
    }

    /// <summary>The sign-up interceptor that writes <c>member.created</c> to the outbox, when the outbox is registered (the host; not bare store tests).</summary>
    private static void AddInterceptors(IServiceProvider services, DbContextOptionsBuilder builder)
    {
        if (services.GetService<Webhooks.MemberCreatedInterceptor>() is { } memberCreated)
        {
            builder.AddInterceptors(memberCreated);
        }
    }
}
