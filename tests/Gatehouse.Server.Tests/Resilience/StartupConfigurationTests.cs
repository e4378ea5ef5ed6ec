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
    [InlineData("Logging__LogLevel__Default", "Loud", "Configuration value 'Loud' is not supported. Log levels (Logging:LogLevel:*) are")]
    [InlineData("Gatehouse__Tokens__RefreshAbsoluteLifetime", "3650000.00:00:00", "Gatehouse:Tokens:RefreshAbsoluteLifetime must be at most 3650.00:00:00 (10 years)")]
    [InlineData("ConnectionStrings__Gatehouse", "Data Source=:memory:", "ConnectionStrings:Gatehouse is not a valid sqlite connection string: it names no database file (Data Source is empty or in memory)")]
    [InlineData("ConnectionStrings__Gatehouse", "Data Source=", "ConnectionStrings:Gatehouse is not a valid sqlite connection string: it names no database file")]
    [InlineData("Gatehouse__Social__DefaultReturnTo", "javascript:alert(1)", "Gatehouse:Social:DefaultReturnTo must be an http(s) URL on one of Gatehouse:Frontend:Origins (was 'javascript:alert(1)').")]
    [InlineData("Gatehouse__Social__DefaultReturnTo", "/home", "Gatehouse:Social:DefaultReturnTo must be an http(s) URL on one of Gatehouse:Frontend:Origins (was '/home').")]
    [InlineData("Gatehouse__Passwords__MemoryKiB", "4194304", "Gatehouse:Passwords:MemoryKiB must be between 19456 (OWASP's minimum for argon2id) and 2097151 (2 GiB)")]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_it(string variable, string value, string expected)
    {
        var logs = await StartExpectingExitAsync(2, new() { [variable] = value });

        Assert.Contains(expected, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }

    [Fact]
    public async Task A_redis_configuration_without_a_server_stops_the_start_with_one_line()
    {
        var logs = await StartExpectingExitAsync(2, new() { ["Gatehouse__Sessions__Store"] = "redis", ["ConnectionStrings__Redis"] = "127.0.0.1:63791x" });

        Assert.Contains("ConnectionStrings:Redis is not a valid StackExchange.Redis configuration: it names no server", logs, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("http://127.0.0.1:5O80", "Urls: 'http://127.0.0.1:5O80' has the port '5O80', which is not a number; Kestrel would listen on port 80 of every interface.")]
    [InlineData("http://256.1.1.1:5080", "Urls: 'http://256.1.1.1:5080' names the host '256.1.1.1', which is not an IP address")]
    [InlineData("ftp://127.0.0.1:5080", "Urls: 'ftp://127.0.0.1:5080' has the scheme 'ftp'")]
    [InlineData("http://127.0.0.1:70000", "Urls: 'http://127.0.0.1:70000' has the port 70000, beyond 0-65535.")]
    public async Task An_address_kestrel_cannot_listen_on_as_meant_stops_the_start_with_one_line_naming_it(string urls, string expected)
    {
        var logs = await StartExpectingExitAsync(2, [], urls: urls);

        Assert.Contains("Gatehouse cannot start: " + expected, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }

    [Fact]
    public async Task A_certificate_file_that_does_not_exist_stops_the_start_with_one_line_naming_it()
    {
        var logs = await StartExpectingExitAsync(2, new() { ["Kestrel__Certificates__Default__Path"] = "/nonexistent/gatehouse.pem" });

        Assert.Contains("Gatehouse cannot start: Kestrel:Certificates:Default:Path names '/nonexistent/gatehouse.pem', which is not a file Gatehouse can see.", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }

    [Fact]
    public async Task An_https_address_without_a_certificate_stops_the_start_with_one_line()
    {
        var port = TestEnvironment.FreeTcpPort();

        // A home folder without a developer certificate, which Kestrel would otherwise take on a developer's machine.
        var home = Directory.CreateTempSubdirectory("gatehouse-home-").FullName;
        try
        {
            // The host logs its own "Hosting failed to start" entry, stack included, before the line: no "   at " check here.
            var logs = await StartExpectingExitAsync(2, new() { ["HOME"] = home }, port, $"https://127.0.0.1:{port}");

            Assert.Contains("Gatehouse cannot start: Unable to configure HTTPS endpoint. No server certificate was specified, and the default developer certificate could not be found or is out of date. Give Kestrel a certificate", logs, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    /// <summary>
    /// Starts the server on a database and master key in the test's folder, <paramref name="settings"/> on top
    /// (and <paramref name="urls"/> for <c>--urls</c> when given), and waits for <paramref name="exitCode"/> with the one-line message and no unhandled exception; returns the logs.
    /// </summary>
    private async Task<string> StartExpectingExitAsync(int exitCode, Dictionary<string, string> settings, int? port = null, string? urls = null)
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

        await using var server = ServerProcess.Start("bad-start", port ?? TestEnvironment.FreeTcpPort(), all, urls);
        var exited = await server.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(exited == exitCode, $"exit code {exited}:{Environment.NewLine}{server.Logs}");
        Assert.Contains("Gatehouse cannot start: ", server.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Logs, StringComparison.Ordinal);
        return server.Logs;
    }
}
