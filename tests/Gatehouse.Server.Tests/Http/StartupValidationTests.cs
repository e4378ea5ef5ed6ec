using Gatehouse.Server.Tests.Infrastructure;

namespace Gatehouse.Server.Tests.Http;

/// <summary>Bad configuration stops the host at start-up, with a message that names the key.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Gatehouse:Tokens:ClockSkew", "00:01:00")]
    [InlineData("Gatehouse:Keys:MasterKey", "dG9vIHNob3J0")]
    [InlineData("Gatehouse:Frontend:Origins:0", "https://app.example.test/path")]
    [InlineData("Gatehouse:Admin:ApiKey", "short")]
    [InlineData("Gatehouse:Passwords:MemoryKiB", "1024")]
    [InlineData("Gatehouse:Throttling:Window", "00:00:00")]
    [InlineData("Gatehouse:RateLimits:CredentialBurst", "0")]
    [InlineData("Gatehouse:RateLimits:ProviderNotificationRequestsPerSecond", "0")]
    [InlineData("Gatehouse:RateLimits:ProviderNotificationBurst", "-1")]
    public async Task A_bad_setting_stops_start_up_and_names_its_key(string key, string value)
    {
        await using var factory = new GatehouseFactory(settings => settings[key] = value);
        await factory.InitializeAsync();

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains(key + " must", error.ToString(), StringComparison.Ordinal);
    }
}
