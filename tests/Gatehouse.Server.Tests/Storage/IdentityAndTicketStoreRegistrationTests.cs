using Gatehouse.Core.Social;
using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>Which stores <see cref="StorageServiceCollectionExtensions"/> registers for social login.</summary>
public sealed class IdentityAndTicketStoreRegistrationTests : IDisposable
{
    private readonly string _contentRoot = Path.Combine(TestEnvironment.ScratchDirectory, "gatehouse-root-" + TestEnvironment.RandomToken(6));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_contentRoot))
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
    }

    [Fact]
    public async Task Database_sessions_keep_identities_and_tickets_in_the_database()
    {
        await using var services = Build([]);

        Assert.IsType<EfMemberIdentityStore>(services.GetRequiredService<IMemberIdentityStore>());
        Assert.IsType<EfOneTimeTicketStore>(services.GetRequiredService<IOneTimeTicketStore>());
    }

    [Fact]
    public async Task Redis_sessions_move_tickets_to_redis_and_keep_identities_in_the_database()
    {
        await using var services = Build(new()
        {
            ["Gatehouse:Sessions:Store"] = "redis",
            ["ConnectionStrings:Redis"] = "127.0.0.1:" + TestEnvironment.FreeTcpPort(),
        });

        Assert.IsType<EfMemberIdentityStore>(services.GetRequiredService<IMemberIdentityStore>());
        Assert.IsType<RedisOneTimeTicketStore>(services.GetRequiredService<IOneTimeTicketStore>());
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
