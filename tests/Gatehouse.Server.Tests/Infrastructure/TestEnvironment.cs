using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Gatehouse.Server.Tests.Infrastructure;

/// <summary>Which storage the integration tests run against (set by <c>scripts/test.sh</c>).</summary>
public enum TestProfile
{
    /// <summary>SQLite and in-process state: what a single instance uses by default.</summary>
    Embedded,

    /// <summary>PostgreSQL and Redis: what several instances of one deployment share.</summary>
    Distributed,
}

/// <summary>
/// What <c>scripts/test.sh</c> set up for the tests: the profile of this run, the shared test PostgreSQL
/// and Redis servers, and helpers that give every test its own database, key prefix or Redis process.
/// </summary>
/// <remarks>
/// Environment variables: <c>GATEHOUSE_TEST_PROFILE</c> (<c>embedded</c> by default or <c>distributed</c>),
/// <c>GATEHOUSE_TEST_POSTGRES</c> (an Npgsql connection string to a server where the user may create
/// databases), <c>GATEHOUSE_TEST_REDIS</c> (a StackExchange.Redis configuration),
/// <c>GATEHOUSE_TEST_REDIS_SERVER</c> (the path of a <c>redis-server</c> binary) and
/// <c>GATEHOUSE_TEST_TMPDIR</c> (a scratch folder the script removes, and where it finds the pid files of
/// Redis processes a crashed test host left behind).
/// </remarks>
public static class TestEnvironment
{
    private static readonly Lazy<TestProfile> LazyProfile = new(ReadProfile);

    /// <summary>The profile of this run, from <c>GATEHOUSE_TEST_PROFILE</c>; <see cref="TestProfile.Embedded"/> when unset.</summary>
    public static TestProfile Profile => LazyProfile.Value;

    /// <summary>True when this run is the distributed one (PostgreSQL and Redis).</summary>
    public static bool IsDistributed => Profile == TestProfile.Distributed;

    /// <summary>The connection string of the test PostgreSQL server, or null when unset.</summary>
    public static string? PostgresConnectionString => Read("GATEHOUSE_TEST_POSTGRES");

    /// <summary>The configuration of the shared test Redis (e.g. <c>127.0.0.1:56379</c>), or null when unset.</summary>
    public static string? RedisConfiguration => Read("GATEHOUSE_TEST_REDIS");

    /// <summary>The <c>redis-server</c> binary for <see cref="PrivateRedisServer"/>, or null when unset.</summary>
    public static string? RedisServerPath => Read("GATEHOUSE_TEST_REDIS_SERVER");

    /// <summary>A scratch folder for files tests create: <c>GATEHOUSE_TEST_TMPDIR</c>, else the system temp folder.</summary>
    public static string ScratchDirectory => Read("GATEHOUSE_TEST_TMPDIR") ?? Path.GetTempPath();

    /// <summary>
    /// Creates a fresh, empty database named <c>gh_test_&lt;random&gt;</c> on the test PostgreSQL server and
    /// returns a connection string to it. Drop it with <see cref="DropPostgresDatabaseAsync"/>.
    /// </summary>
    public static async Task<string> CreatePostgresDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var server = new NpgsqlConnectionStringBuilder(RequirePostgres());
        var name = "gh_test_" + RandomToken(8);

        await using (var connection = await OpenMaintenanceConnectionAsync(server, cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            // Database names cannot be parameters; this one is built from hex characters above.
            command.CommandText = "CREATE DATABASE " + QuoteIdentifier(name);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        server.Database = name;
        return server.ConnectionString;
    }

    /// <summary>
    /// Drops a database <see cref="CreatePostgresDatabaseAsync"/> created, even while connections to it are
    /// open (<c>WITH (FORCE)</c>), after clearing this process's pool for it. Does nothing if it is gone.
    /// </summary>
    public static async Task DropPostgresDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var name = target.Database;
        if (string.IsNullOrEmpty(name) || !name.StartsWith("gh_test_", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Refusing to drop '{name}': only gh_test_ databases are dropped.", nameof(connectionString));
        }

        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = await OpenMaintenanceConnectionAsync(target, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DROP DATABASE IF EXISTS " + QuoteIdentifier(name) + " WITH (FORCE)";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A key prefix no other test uses, e.g. <c>gh:t3f9a0c1d2b:</c>, so tests can share one Redis.</summary>
    public static string NewRedisPrefix() => "gh:t" + RandomToken(6) + ":";

    /// <summary>A loopback TCP port that was free a moment ago (the OS picked it for a listener on port 0).</summary>
    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Sends <c>PING</c> over a raw socket; true when the answer is <c>+PONG</c>.</summary>
    public static async Task<bool> RedisAnswersAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(host, port, timeout.Token);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[64];
            var received = 0;
            while (received < 7)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received += read;
            }

            return Encoding.ASCII.GetString(buffer, 0, received).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    internal static string RandomToken(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private static string RequirePostgres() =>
        PostgresConnectionString ?? throw new InvalidOperationException(
            "GATEHOUSE_TEST_POSTGRES is not set: run the tests through scripts/test.sh, or point it at a PostgreSQL server.");

    private static async Task<NpgsqlConnection> OpenMaintenanceConnectionAsync(NpgsqlConnectionStringBuilder server, CancellationToken cancellationToken)
    {
        // CREATE/DROP DATABASE run on the maintenance database, never pooled: they would otherwise keep a
        // connection to the very database being dropped, or fill the pool with one-off connections.
        var maintenance = new NpgsqlConnectionStringBuilder(server.ConnectionString)
        {
            Database = "postgres",
            Pooling = false,
        };
        var connection = new NpgsqlConnection(maintenance.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string? Read(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static TestProfile ReadProfile()
    {
        var value = Read("GATEHOUSE_TEST_PROFILE");
        return value?.ToUpperInvariant() switch
        {
            null or "EMBEDDED" => TestProfile.Embedded,
            "DISTRIBUTED" => TestProfile.Distributed,
            _ => throw new InvalidOperationException(
                $"GATEHOUSE_TEST_PROFILE is '{value}'; expected 'embedded' or 'distributed'."),
        };
    }

    /// <summary>
    /// A <c>redis-server</c> process of the test's own on a free loopback port, so a test can crash it
    /// (<see cref="StopAsync"/>) and bring it back (<see cref="StartAsync"/>) without disturbing other tests.
    /// Nothing is persisted: a restart comes back empty, as a Redis without persistence does after a crash.
    /// </summary>
    public sealed class PrivateRedisServer : IAsyncDisposable
    {
        private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

        private readonly string _serverPath;
        private readonly string _directory;
        private Process? _process;
        private bool _disposed;

        /// <summary>
        /// Picks a free loopback port for a server that is not started yet: call <see cref="StartAsync"/>,
        /// or use <see cref="StartNewAsync"/> to do both.
        /// </summary>
        public PrivateRedisServer()
        {
            _serverPath = RedisServerPath ?? throw new InvalidOperationException(
                "GATEHOUSE_TEST_REDIS_SERVER is not set: run the tests through scripts/test.sh, or point it at a redis-server binary.");
            Port = FreeTcpPort();
            _directory = Path.Combine(ScratchDirectory, "redis-" + Port.ToString(CultureInfo.InvariantCulture) + "-" + RandomToken(4));
            Directory.CreateDirectory(_directory);
        }

        /// <summary>The loopback port it listens on, the same across restarts.</summary>
        public int Port { get; }

        /// <summary>The StackExchange.Redis configuration to reach it: <c>127.0.0.1:port</c>.</summary>
        public string Configuration => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

        // scripts/test.sh kills what a crashed test host leaves behind by these pid files.
        private string PidFile => Path.Combine(ScratchDirectory, "redis-" + Port.ToString(CultureInfo.InvariantCulture) + ".pid");

        /// <summary>True between a start and a stop.</summary>
        public bool IsRunning => _process is { HasExited: false };

        /// <summary>Starts a new server from <see cref="RedisServerPath"/> and waits until it answers PING.</summary>
        public static async Task<PrivateRedisServer> StartNewAsync(CancellationToken cancellationToken = default)
        {
            var server = new PrivateRedisServer();
            try
            {
                await server.StartAsync(cancellationToken);
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        /// <summary>Starts the server (again) on the same port and waits until it answers PING.</summary>
        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRunning)
            {
                return;
            }

            var logFile = Path.Combine(_directory, "redis.log");
            var start = new ProcessStartInfo(_serverPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = false,
                RedirectStandardError = false,
                WorkingDirectory = _directory,
            };
            foreach (var argument in new[]
            {
                "--bind", "127.0.0.1",
                "--port", Port.ToString(CultureInfo.InvariantCulture),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", _directory,
                "--pidfile", PidFile,
                "--logfile", logFile,
                "--loglevel", "warning",
            })
            {
                start.ArgumentList.Add(argument);
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_serverPath}.");

            // A restart can race the OS releasing the port the killed process held: retry until the deadline.
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < StartTimeout)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"redis-server on port {Port} exited with code {_process.ExitCode}: {ReadLog(logFile)}");
                }

                if (await RedisAnswersAsync("127.0.0.1", Port, cancellationToken))
                {
                    return;
                }

                await Task.Delay(50, cancellationToken);
            }

            await KillAsync();
            throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartTimeout}: {ReadLog(logFile)}");
        }

        /// <summary>Kills the server with SIGKILL, as a crash would, and waits until it is gone.</summary>
        public Task StopAsync() => KillAsync();

        /// <inheritdoc />
        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await KillAsync();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover scratch folder is harmless; scripts/test.sh removes the whole scratch folder.
            }
        }

        private async Task KillAsync()
        {
            var process = _process;
            _process = null;
            if (process is null)
            {
                return;
            }

            using (process)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: false);
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(timeout.Token);
            }

            File.Delete(PidFile);
        }

        private static string ReadLog(string logFile)
        {
            try
            {
                return File.Exists(logFile) ? File.ReadAllText(logFile).Trim() : "(no log)";
            }
            catch (IOException)
            {
                return "(log unreadable)";
            }
        }
    }
}
