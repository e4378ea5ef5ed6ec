using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Gatehouse.Server.Tests.Infrastructure;
using Npgsql;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// A real server process started while its PostgreSQL server is out of reach: it waits (Gatehouse:Database:StartupTimeout),
/// uses the database once it answers, and otherwise stops with exit code 3 and one line naming the database, never the
/// password, not a stack trace.
/// </summary>
public sealed class DatabaseStartupTests : IDisposable
{
    private const string Password = "pw-that-must-not-be-logged";
    private readonly string _data = Directory.CreateTempSubdirectory("gatehouse-dbstart-").FullName;

    [Fact]
    public async Task A_database_out_of_reach_ends_the_start_after_the_wait_with_one_line_naming_it()
    {
        var port = TestEnvironment.FreeTcpPort();
        await using var server = Start("db-unreachable", $"Host=127.0.0.1;Port={port};Username=gatehouse;Password={Password};Database=gatehouse", "00:00:02");

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(exitCode == 3, $"exit code {exitCode}:{Environment.NewLine}{server.Logs}");
        Assert.Contains($"Gatehouse cannot start: PostgreSQL at 127.0.0.1:{port}, database 'gatehouse' could not be reached within 2 s", server.Logs, StringComparison.Ordinal);
        Assert.Contains("cannot be reached yet", server.Logs, StringComparison.Ordinal);
        AssertNoStackTraceNorPassword(server.Logs);
    }

    [Fact]
    public async Task A_database_that_answers_during_the_wait_is_used()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Needs the test PostgreSQL server: runs in the distributed profile.");
        var connectionString = await TestEnvironment.CreatePostgresDatabaseAsync(Ct);
        try
        {
            var real = new NpgsqlConnectionStringBuilder(connectionString);
            var port = TestEnvironment.FreeTcpPort();
            var viaLateProxy = new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = port };
            await using var server = Start("db-late", viaLateProxy.ConnectionString, "00:00:30");

            // The server's first attempts find nothing listening; then the database "comes up".
            await WaitForLogAsync(server, "cannot be reached yet");
            using var proxy = new TcpForwarder(port, real.Host!, real.Port);
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60), Ct);

            using var client = server.CreateClient();
            var signup = await client.PostAsJsonAsync("/auth/signup", new { email = "late@example.test", password = "correct horse battery", nickname = "Late" }, Ct);
            Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
            AssertNoStackTraceNorPassword(server.Logs);
        }
        finally
        {
            await TestEnvironment.DropPostgresDatabaseAsync(connectionString, Ct);
        }
    }

    [Fact]
    public async Task A_login_the_database_refuses_ends_the_start_at_once()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Needs the test PostgreSQL server: runs in the distributed profile.");
        var refused = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString!) { Username = "no_such_role", Password = Password };
        await using var server = Start("db-refused", refused.ConnectionString, "00:00:30");

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.True(exitCode == 3, $"exit code {exitCode}:{Environment.NewLine}{server.Logs}");
        Assert.Contains("Gatehouse cannot start: PostgreSQL at ", server.Logs, StringComparison.Ordinal);
        Assert.Contains("cannot be used: 28000", server.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be reached yet", server.Logs, StringComparison.Ordinal);
        AssertNoStackTraceNorPassword(server.Logs);
    }

    /// <summary>A TLS-only connection to a server without TLS was an unhandled NpgsqlException and its stack trace.</summary>
    [Fact]
    public async Task A_connection_the_driver_refuses_ends_the_start_with_its_reason_on_one_line()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Needs the test PostgreSQL server: runs in the distributed profile.");
        var tls = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString!) { SslMode = SslMode.Require };
        await using var server = Start("db-tls", tls.ConnectionString, "00:00:30");

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.True(exitCode == 3, $"exit code {exitCode}:{Environment.NewLine}{server.Logs}");
        Assert.Contains("Gatehouse cannot start: PostgreSQL at ", server.Logs, StringComparison.Ordinal);
        Assert.Contains("cannot be used: SSL connection requested", server.Logs, StringComparison.Ordinal);
        AssertNoStackTraceNorPassword(server.Logs);
    }

    [Fact]
    public async Task A_sqlite_file_that_cannot_be_created_ends_the_start_with_one_line_naming_it()
    {
        // Its folder would be a file: nothing can create it.
        var blocker = Path.Combine(_data, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "", Ct);
        var file = Path.Combine(blocker, "gatehouse.db");
        await using var server = ServerProcess.Start("sqlite-unusable", TestEnvironment.FreeTcpPort(), new Dictionary<string, string>
        {
            ["Gatehouse__Database__Provider"] = "sqlite",
            ["ConnectionStrings__Gatehouse"] = "Data Source=" + file,
            ["Gatehouse__Keys__MasterKeyPath"] = Path.Combine(_data, "master.key"),
        });

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(exitCode == 3, $"exit code {exitCode}:{Environment.NewLine}{server.Logs}");
        Assert.Contains($"Gatehouse cannot start: the SQLite database '{file}' cannot be used: ", server.Logs, StringComparison.Ordinal);
        AssertNoStackTraceNorPassword(server.Logs);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private ServerProcess Start(string name, string connectionString, string startupTimeout) =>
        ServerProcess.Start(name, TestEnvironment.FreeTcpPort(), new Dictionary<string, string>
        {
            ["Gatehouse__Database__Provider"] = "postgres",
            ["ConnectionStrings__Gatehouse"] = connectionString,
            ["Gatehouse__Database__StartupTimeout"] = startupTimeout,
            ["Gatehouse__Keys__MasterKeyPath"] = Path.Combine(_data, "master.key"),
        });

    private static void AssertNoStackTraceNorPassword(string logs)
    {
        Assert.DoesNotContain("Unhandled exception", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logs, StringComparison.Ordinal);
    }

    private static async Task WaitForLogAsync(ServerProcess server, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!server.Logs.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(server.HasExited, server.Logs);
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' not logged within 30 s:{Environment.NewLine}{server.Logs}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>A loopback TCP port that starts forwarding to the real server only when created: a database coming up late.</summary>
    private sealed class TcpForwarder : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();

        public TcpForwarder(int port, string host, int targetPort)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _ = AcceptAsync(host, targetPort);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync(string host, int targetPort)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = PumpAsync(inbound, host, targetPort);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped.
            }
        }

        private async Task PumpAsync(TcpClient inbound, string host, int targetPort)
        {
            using (inbound)
            using (var outbound = new TcpClient())
            {
                try
                {
                    await outbound.ConnectAsync(host, targetPort, _stop.Token);
                    using var one = inbound.GetStream();
                    using var other = outbound.GetStream();
                    await Task.WhenAny(one.CopyToAsync(other, _stop.Token), other.CopyToAsync(one, _stop.Token));
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                {
                    // One side closed, or the forwarder stopped.
                }
            }
        }
    }
}
