using System.Globalization;
using System.Security.Cryptography;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// One deployment of real server processes: a fresh PostgreSQL database, a Redis key prefix of its own, one master
/// key and one issuer (the first instance's address) for every instance. Disposing kills the processes, writes their
/// output to the test's output (shown when it fails) and drops the database.
/// </summary>
internal sealed class TwoProcessDeployment : IAsyncDisposable
{
    /// <summary>A bound, not an expectation: a debug build on a loaded CI machine can take this long to migrate and start.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ServerProcess> _servers = [];
    private readonly Dictionary<string, string> _settings;
    private readonly string _database;

    private TwoProcessDeployment(string database, int issuerPort)
    {
        _database = database;
        IssuerPort = issuerPort;
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Gatehouse__Database__Provider"] = "postgres",
            ["ConnectionStrings__Gatehouse"] = database,
            ["Gatehouse__Sessions__Store"] = "redis",
            ["ConnectionStrings__Redis"] = TestEnvironment.RedisConfiguration ?? throw new InvalidOperationException("GATEHOUSE_TEST_REDIS is not set."),
            ["Gatehouse__Redis__KeyPrefix"] = TestEnvironment.NewRedisPrefix(),
            ["Gatehouse__Keys__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Gatehouse__Keys__RefreshInterval"] = "00:00:01",
            ["Gatehouse__Tokens__Issuer"] = "http://127.0.0.1:" + issuerPort.ToString(CultureInfo.InvariantCulture),
            ["Gatehouse__Admin__ApiKey"] = GatehouseFactory.AdminKey,
            ["Gatehouse__Frontend__SecureCookies"] = "false",
            ["Gatehouse__RateLimits__CredentialRequestsPerSecond"] = "1000",
            ["Gatehouse__RateLimits__CredentialBurst"] = "1000",
        };
    }

    /// <summary>The port of the instance the issuer URL names; pass it to the first <see cref="Start"/>.</summary>
    public int IssuerPort { get; }

    public static async Task<TwoProcessDeployment> CreateAsync(CancellationToken cancellationToken) =>
        new(await TestEnvironment.CreatePostgresDatabaseAsync(cancellationToken), TestEnvironment.FreeTcpPort());

    public ServerProcess Start(string name, int? port = null)
    {
        var server = ServerProcess.Start(name, port ?? TestEnvironment.FreeTcpPort(), _settings);
        _servers.Add(server);
        return server;
    }

    public string Logs => string.Join(Environment.NewLine, _servers.Select(s => $"----- server {s.Name} ({s.BaseAddress}) -----{Environment.NewLine}{s.Logs}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        TestContext.Current.TestOutputHelper?.WriteLine(Logs);
        await TestEnvironment.DropPostgresDatabaseAsync(_database);
    }
}
