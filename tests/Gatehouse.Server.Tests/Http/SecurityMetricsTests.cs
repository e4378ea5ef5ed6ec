using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Server.Tests.Http;

/// <summary>The counters an operator alerts on: reuse detections, and refused requests by reason.</summary>
public sealed class SecurityMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_replayed_refresh_token_is_counted_as_a_reuse_detection_and_an_invalid_grant()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new GatehouseFactory(time: time);
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var before = await DiscoveryTests.ScrapeAsync(client);

        using (var rotated = await client.PostAsJsonAsync("/auth/token", new { refreshToken = member.RefreshToken }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(11));
        using (var replay = await client.PostAsJsonAsync("/auth/token", new { refreshToken = member.RefreshToken }, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        }

        // Meters are process-wide (other hosts count too) and the exporter caches a scrape briefly: compare, and look again.
        var after = await DiscoveryTests.ScrapeAsync(client);
        for (var attempt = 0; attempt < 20 && Reuse(after) < Reuse(before) + 1; attempt++)
        {
            await Task.Delay(100, Ct);
            after = await DiscoveryTests.ScrapeAsync(client);
        }

        Assert.True(Reuse(after) >= Reuse(before) + 1, "gatehouse_refresh_reuse_detections_total did not count the replay");
        Assert.True(
            DiscoveryTests.Sample(after, "gatehouse_refreshes_total", "outcome=\"reused\"") >= DiscoveryTests.Sample(before, "gatehouse_refreshes_total", "outcome=\"reused\"") + 1,
            "gatehouse_refreshes_total{outcome=\"reused\"} did not count the replay");
        Assert.True(
            DiscoveryTests.Sample(after, "gatehouse_failures_total", "reason=\"invalid_grant\"") >= DiscoveryTests.Sample(before, "gatehouse_failures_total", "reason=\"invalid_grant\"") + 1,
            "gatehouse_failures_total{reason=\"invalid_grant\"} did not count the refusal");
    }

    // The reuse counter has no labels; Sample matches labelled series, so read the bare line here.
    private static double Reuse(string exposition) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith("gatehouse_refresh_reuse_detections_total", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Sum();
}
