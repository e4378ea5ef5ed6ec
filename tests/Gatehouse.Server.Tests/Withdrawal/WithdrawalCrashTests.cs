using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Resilience;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// The real server process killed with SIGKILL at a fault point (<c>Gatehouse:Testing:HoldAt</c>, Testing environment
/// only) inside a withdrawal: after the commit, the restarted server does what the outbox holds; before it, nothing
/// happened at all. On SQLite (sessions in the same file) and on PostgreSQL + Redis (sessions revoked only by the outbox).
/// </summary>
public sealed class WithdrawalCrashTests
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killed_after_the_commit_and_before_dispatch_the_restarted_server_delivers_the_events_and_revokes_the_sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var deployment = await CrashDeployment.CreateAsync(receiver);

        var first = deployment.Start("held", ("Gatehouse__Testing__HoldAt", "withdrawal-after-commit"), ("Gatehouse__Outbox__Enabled", "false"));
        await first.WaitReadyAsync(Ready, ct);
        using var client = first.CreateClient();
        var email = Api.NewEmail();
        var signup = await Api.SignupAsync(client, email, cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Created, signup.Status);
        var sub = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(signup.AccessToken).Subject;

        var withdrawal = SendWithdrawalAsync(client, signup.AccessToken!, ct);
        await CrashDeployment.WaitForLogAsync(first, "Fault point withdrawal-after-commit reached", ct);
        await first.DisposeAsync();
        Assert.NotEqual(HttpStatusCode.Accepted, await withdrawal);
        Assert.Empty(receiver.Received);

        var second = deployment.Start("restarted");
        await second.WaitReadyAsync(Ready, ct);
        using var client2 = second.CreateClient();
        await receiver.WaitForAsync(
            d => d.Any(r => r.Type == "member.created" && r.Data("memberId") == sub)
                && d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub)
                && d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub),
            WithdrawalHost.Patience,
            "the committed withdrawal's events after the restart");
        Assert.All(receiver.Delivered, r => Assert.True(StandardWebhooks.Verify(receiver.Secret, r.Id, r.Timestamp, r.Signature, r.Body)));

        var refresh = await Api.RefreshAsync(client2, signup.RefreshToken!, ct);
        Assert.True(refresh.Status == HttpStatusCode.Unauthorized && refresh.Error == "invalid_grant", refresh.ToString());
        var me = await Api.MeAsync(client2, signup.AccessToken!, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, me.Status);
        var login = await Api.LoginAsync(client2, email, cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Unauthorized, login.Status);
    }

    [Fact]
    public async Task Killed_before_the_commit_the_member_is_intact_and_nothing_is_sent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var deployment = await CrashDeployment.CreateAsync(receiver);

        var first = deployment.Start("held", ("Gatehouse__Testing__HoldAt", "withdrawal-before-commit"));
        await first.WaitReadyAsync(Ready, ct);
        using var client = first.CreateClient();
        var email = Api.NewEmail();
        var signup = await Api.SignupAsync(client, email, cancellationToken: ct);
        var sub = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(signup.AccessToken).Subject;

        // The dispatcher of this process works: what it would send, it sends (member.created).
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.created" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.created");
        _ = SendWithdrawalAsync(client, signup.AccessToken!, ct);
        await CrashDeployment.WaitForLogAsync(first, "Fault point withdrawal-before-commit reached", ct);
        await first.DisposeAsync();

        var second = deployment.Start("restarted");
        await second.WaitReadyAsync(Ready, ct);
        using var client2 = second.CreateClient();
        var me = await Api.MeAsync(client2, signup.AccessToken!, ct);
        Assert.True(me.Status == HttpStatusCode.OK && me.Property("id") == sub && me.Property("email") == email, me.ToString());
        Assert.Equal(HttpStatusCode.OK, (await Api.RefreshAsync(client2, signup.RefreshToken!, ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Api.LoginAsync(client2, email, cancellationToken: ct)).Status);

        // Give the restarted dispatcher several polls: nothing of the withdrawal was written, so nothing goes out.
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        Assert.DoesNotContain(receiver.Received, r => r.Type is "member.withdrawn" or "session.revoked");
        using var admin = second.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AdminKey", GatehouseFactory.AdminKey);
        var entries = await Api.GetAsync(admin, "/admin/outbox/entries?kind=sessions.revoke", cancellationToken: ct);
        Assert.Equal("[]", entries.Body);
    }

    private static async Task<HttpStatusCode> SendWithdrawalAsync(HttpClient client, string accessToken, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, "/members/me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await client.SendAsync(request, ct);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>Server processes of one deployment on this run's storage: a SQLite file, or a PostgreSQL database and a Redis prefix.</summary>
    private sealed class CrashDeployment : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _settings;
        private readonly List<ServerProcess> _servers = [];
        private readonly string? _database;
        private readonly string? _sqlite;

        private CrashDeployment(Dictionary<string, string> settings, string? database, string? sqlite)
        {
            _settings = settings;
            _database = database;
            _sqlite = sqlite;
        }

        public static async Task<CrashDeployment> CreateAsync(WebhookReceiver receiver)
        {
            var port = TestEnvironment.FreeTcpPort();
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Testing",
                ["Gatehouse__Keys__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Gatehouse__Tokens__Issuer"] = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                ["Gatehouse__Admin__ApiKey"] = GatehouseFactory.AdminKey,
                ["Gatehouse__Frontend__SecureCookies"] = "false",
                ["Gatehouse__Outbox__PollInterval"] = "00:00:00.1",
                ["Gatehouse__Outbox__InitialBackoff"] = "00:00:00.2",
                ["Gatehouse__Outbox__MaxBackoff"] = "00:00:01",
            };
            receiver.ApplyToEnvironment(settings);
            string? database = null;
            string? sqlite = null;
            if (TestEnvironment.IsDistributed)
            {
                database = await TestEnvironment.CreatePostgresDatabaseAsync();
                settings["Gatehouse__Database__Provider"] = "postgres";
                settings["ConnectionStrings__Gatehouse"] = database;
                settings["Gatehouse__Sessions__Store"] = "redis";
                settings["ConnectionStrings__Redis"] = TestEnvironment.RedisConfiguration!;
                settings["Gatehouse__Redis__KeyPrefix"] = TestEnvironment.NewRedisPrefix();
            }
            else
            {
                sqlite = Path.Combine(TestEnvironment.ScratchDirectory, "gh-crash-" + Guid.NewGuid().ToString("N") + ".db");
                settings["Gatehouse__Database__Provider"] = "sqlite";
                settings["ConnectionStrings__Gatehouse"] = "Data Source=" + sqlite;
                settings["Gatehouse__Sessions__Store"] = "database";
            }

            return new CrashDeployment(settings, database, sqlite);
        }

        public ServerProcess Start(string name, params (string Key, string Value)[] extra)
        {
            var settings = new Dictionary<string, string>(_settings, StringComparer.Ordinal);
            foreach (var (key, value) in extra)
            {
                settings[key] = value;
            }

            var server = ServerProcess.Start(name, TestEnvironment.FreeTcpPort(), settings);
            _servers.Add(server);
            return server;
        }

        public static async Task WaitForLogAsync(ServerProcess server, string text, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            while (!server.Logs.Contains(text, StringComparison.Ordinal))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20) && !server.HasExited, $"'{text}' never appeared:{Environment.NewLine}{server.Logs}");
                await Task.Delay(50, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in _servers)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"----- {server.Name} -----{Environment.NewLine}{server.Logs}");
                await server.DisposeAsync();
            }

            if (_database is not null)
            {
                await TestEnvironment.DropPostgresDatabaseAsync(_database);
            }

            if (_sqlite is not null)
            {
                foreach (var file in new[] { _sqlite, _sqlite + "-wal", _sqlite + "-shm" })
                {
                    File.Delete(file);
                }
            }
        }
    }
}
