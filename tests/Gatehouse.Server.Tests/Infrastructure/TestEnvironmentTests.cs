using System.Net;
using System.Net.Sockets;
using Npgsql;
using StackExchange.Redis;
using Xunit;

namespace Gatehouse.Server.Tests.Infrastructure;

/// <summary>The test environment <c>scripts/test.sh</c> provides works: in the distributed run, for real.</summary>
public sealed class TestEnvironmentTests
{
    private const string DistributedOnly = "Needs the PostgreSQL and Redis of the distributed profile (GATEHOUSE_TEST_PROFILE=distributed).";

    [Fact]
    public void NewRedisPrefix_is_unique_and_shaped_like_a_key_prefix()
    {
        var prefixes = Enumerable.Range(0, 1000).Select(_ => TestEnvironment.NewRedisPrefix()).ToList();

        Assert.Equal(prefixes.Count, prefixes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(prefixes, p => Assert.Matches("^gh:t[0-9a-f]{12}:$", p));
    }

    [Fact]
    public void FreeTcpPort_returns_a_loopback_port_that_can_be_bound()
    {
        var port = TestEnvironment.FreeTcpPort();

        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        listener.Stop();
        Assert.InRange(port, 1024, 65535);
    }

    [Fact]
    public async Task Postgres_database_can_be_created_used_and_dropped()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, DistributedOnly);
        var ct = TestContext.Current.CancellationToken;

        var connectionString = await TestEnvironment.CreatePostgresDatabaseAsync(ct);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.StartsWith("gh_test_", name, StringComparison.Ordinal);

        // A connection left open (and pooled) must not stop the drop.
        var open = new NpgsqlConnection(connectionString);
        await open.OpenAsync(ct);
        await using (var command = new NpgsqlCommand("CREATE TABLE t (id int); INSERT INTO t VALUES (1); SELECT count(*) FROM t", open))
        {
            Assert.Equal(1L, await command.ExecuteScalarAsync(ct));
        }

        await TestEnvironment.DropPostgresDatabaseAsync(connectionString, ct);
        await open.DisposeAsync();

        Assert.False(await DatabaseExistsAsync(name, ct));
    }

    [Fact]
    public async Task Shared_redis_answers()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, DistributedOnly);
        Assert.NotNull(TestEnvironment.RedisConfiguration);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var db = redis.GetDatabase();
        var key = TestEnvironment.NewRedisPrefix() + "probe";

        Assert.True(await db.StringSetAsync(key, "1", TimeSpan.FromMinutes(1)));
        Assert.Equal("1", (string?)await db.StringGetAsync(key));
        await db.KeyDeleteAsync(key);
    }

    [Fact]
    public async Task Private_redis_server_answers_dies_on_stop_and_comes_back_on_start()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, DistributedOnly);
        var ct = TestContext.Current.CancellationToken;

        await using var server = await TestEnvironment.PrivateRedisServer.StartNewAsync(ct);
        Assert.Equal($"127.0.0.1:{server.Port}", server.Configuration);
        Assert.NotEqual(TestEnvironment.RedisConfiguration, server.Configuration);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            Assert.True(await redis.GetDatabase().StringSetAsync("k", "v"));
        }

        await server.StopAsync();

        Assert.False(server.IsRunning);
        var refused = await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(server.Port, ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        await server.StartAsync(ct);

        Assert.True(server.IsRunning);
        Assert.True(await TestEnvironment.RedisAnswersAsync("127.0.0.1", server.Port, ct));
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            // Nothing is persisted: the restarted server is empty, as one without persistence after a crash.
            Assert.False(await redis.GetDatabase().KeyExistsAsync("k"));
        }
    }

    private static async Task ConnectAsync(int port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, ct);
    }

    private static async Task<bool> DatabaseExistsAsync(string name, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @name)", connection);
        command.Parameters.AddWithValue("name", name);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }
}
