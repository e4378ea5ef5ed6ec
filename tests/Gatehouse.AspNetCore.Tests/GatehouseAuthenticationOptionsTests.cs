using Gatehouse.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.AspNetCore.Tests;

public sealed class GatehouseAuthenticationOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_for_an_https_authority()
    {
        var options = new GatehouseAuthenticationOptions { Authority = "https://auth.example.com" };

        options.Validate();

        Assert.Equal("gatehouse", options.Audience);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ClockSkew);
        Assert.True(options.RequireHttpsMetadata);
        Assert.Equal(TimeSpan.FromMinutes(10), options.JwksRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MinimumUnknownKidRefreshInterval);
        Assert.Equal(10_000, options.ValidatedTokenCacheSize);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://[::1]:5080")]
    public void Plain_http_is_allowed_for_a_loopback_authority_when_asked_for(string authority)
    {
        new GatehouseAuthenticationOptions { Authority = authority, RequireHttpsMetadata = false }.Validate();
    }

    [Theory]
    [InlineData("Authority", "")]
    [InlineData("Authority", "auth.example.com")]
    [InlineData("Authority", "ftp://auth.example.com")]
    [InlineData("Authority", "https://auth.example.com/?tenant=1")]
    [InlineData("Authority", "http://auth.example.com")]
    [InlineData("RequireHttpsMetadata", "http://gatehouse:5080")]
    [InlineData("RequireHttpsMetadata", "https://auth.example.com")]
    public void A_bad_authority_or_https_setting_is_named(string key, string authority)
    {
        var options = new GatehouseAuthenticationOptions { Authority = authority, RequireHttpsMetadata = key != "RequireHttpsMetadata" };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains($"GatehouseAuthenticationOptions.{key}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ClockSkew")]
    [InlineData("Audience")]
    [InlineData("MinimumUnknownKidRefreshInterval")]
    [InlineData("JwksRefreshInterval")]
    [InlineData("ValidatedTokenCacheSize")]
    [InlineData("BackchannelTimeout")]
    public void A_bad_setting_is_named(string key)
    {
        var options = new GatehouseAuthenticationOptions { Authority = "https://auth.example.com" };
        switch (key)
        {
            case "ClockSkew": options.ClockSkew = TimeSpan.FromSeconds(31); break;
            case "Audience": options.Audience = " "; break;
            case "MinimumUnknownKidRefreshInterval": options.MinimumUnknownKidRefreshInterval = TimeSpan.Zero; options.JwksRefreshInterval = TimeSpan.FromMinutes(1); break;
            case "JwksRefreshInterval": options.JwksRefreshInterval = TimeSpan.FromSeconds(5); break;
            case "ValidatedTokenCacheSize": options.ValidatedTokenCacheSize = -1; break;
            case "BackchannelTimeout": options.BackchannelTimeout = TimeSpan.Zero; break;
        }

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.StartsWith($"GatehouseAuthenticationOptions.{key} ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_bad_settings_does_not_start()
    {
        // A plain host rather than WebApplicationFactory, whose teardown after a failed start can mask the cause.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.UseTestServer(builder.WebHost);
        builder.Services.AddGatehouse("https://gatehouse.test", o => o.ClockSkew = TimeSpan.FromMinutes(5));
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("GatehouseAuthenticationOptions.ClockSkew", error.Message, StringComparison.Ordinal);
    }
}
