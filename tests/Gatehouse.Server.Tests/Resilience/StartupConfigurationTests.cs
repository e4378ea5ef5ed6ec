using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// A real server process with a setting that cannot work: it stops at once with exit code 2 and one line naming the key,
/// not an unhandled exception's stack trace, and it has written nothing (no master key, no signing key, no database).
/// </summary>
public sealed class StartupConfigurationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("gatehouse-startup-").FullName;

    [Theory]
    [InlineData("Gatehouse__Tokens__AccessTokenLifetime", "banana", "'Gatehouse:Tokens:AccessTokenLifetime'")]
    [InlineData("Gatehouse__Metrics__Runtime", "yes", "'Gatehouse:Metrics:Runtime'")]
    [InlineData("Gatehouse__Passwords__MaxConcurrentHashes", "-1", "Gatehouse:Passwords:MaxConcurrentHashes must be 0")]
    [InlineData("Gatehouse__Database__Provider", "mysql", "Gatehouse:Database:Provider must be 'sqlite' or 'postgres'")]
    [InlineData("Gatehouse__Database__StartupTimeout", "-00:00:01", "Gatehouse:Database:StartupTimeout must be between 00:00:00 and 00:10:00")]
    [InlineData("Gatehouse__Admin__ApiKey_FILE", "/nonexistent/admin-key", "Configuration key 'Gatehouse:Admin:ApiKey_FILE' names the file '/nonexistent/admin-key', which cannot be read")]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_it(string variable, string value, string expected)
    {
        var logs = await StartExpectingExitAsync(2, new() { [variable] = value });

        Assert.Contains(expected, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }

    [Fact]
    public async Task A_master_key_path_that_names_a_folder_stops_the_start_with_one_line()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_data, "keys")).FullName;

        var logs = await StartExpectingExitAsync(2, new() { ["Gatehouse__Keys__MasterKeyPath"] = folder });

        Assert.Contains($"Gatehouse:Keys:MasterKeyPath names '{folder}', which is a folder", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public async Task A_master_key_file_without_a_key_stops_the_start_with_one_line_that_does_not_quote_it()
    {
        const string content = "not-a-key-but-maybe-a-secret";
        var file = Path.Combine(_data, "master.key");
        await File.WriteAllTextAsync(file, content, Ct);

        var logs = await StartExpectingExitAsync(2, new() { ["Gatehouse__Keys__MasterKeyPath"] = file });

        Assert.Contains($"The master key file '{file}' (Gatehouse:Keys:MasterKeyPath) does not hold 32 bytes of base64.", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(content, logs, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(file, Ct));
    }

    [Fact]
    public async Task An_address_another_process_listens_on_stops_the_start_with_one_line_and_exit_code_3()
    {
        var port = TestEnvironment.FreeTcpPort();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        taken.Start();

        // The host logs its own "Hosting failed to start" entry, stack included, before the line: no "   at " check here.
        var logs = await StartExpectingExitAsync(3, [], port);

        Assert.Contains($"Gatehouse cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", logs, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    /// <summary>
    /// Starts the server on a database and master key in the test's folder, <paramref name="settings"/> on top, and
    /// waits for <paramref name="exitCode"/> with the one-line message and no unhandled exception; returns the logs.
    /// </summary>
    private async Task<string> StartExpectingExitAsync(int exitCode, Dictionary<string, string> settings, int? port = null)
    {
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings__Gatehouse"] = "Data Source=" + Path.Combine(_data, "gatehouse.db"),
            ["Gatehouse__Keys__MasterKeyPath"] = Path.Combine(_data, "master.key"),
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        await using var server = ServerProcess.Start("bad-start", port ?? TestEnvironment.FreeTcpPort(), all);
        var exited = await server.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(exited == exitCode, $"exit code {exited}:{Environment.NewLine}{server.Logs}");
        Assert.Contains("Gatehouse cannot start: ", server.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Logs, StringComparison.Ordinal);
        return server.Logs;
    }
}
