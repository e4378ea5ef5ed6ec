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
        await using var server = ServerProcess.Start("bad-setting", TestEnvironment.FreeTcpPort(), new Dictionary<string, string>
        {
            ["ConnectionStrings__Gatehouse"] = "Data Source=" + Path.Combine(_data, "gatehouse.db"),
            ["Gatehouse__Keys__MasterKeyPath"] = Path.Combine(_data, "master.key"),
            [variable] = value,
        });

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(exitCode == 2, $"exit code {exitCode}:{Environment.NewLine}{server.Logs}");
        Assert.Contains("Gatehouse cannot start: ", server.Logs, StringComparison.Ordinal);
        Assert.Contains(expected, server.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Logs, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
