using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>What verifiers and operators fetch: discovery, the JWKS, health, metrics and the API description.</summary>
public sealed class DiscoveryTests : IClassFixture<GatehouseFixture>
{
    private static readonly string[] PrivateJwkMembers = ["d", "p", "q", "dp", "dq", "qi", "k"];
    private readonly GatehouseFactory _factory;

    public DiscoveryTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task The_discovery_document_names_the_issuer_and_the_jwks_uri()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/.well-known/openid-configuration", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await ReadJsonAsync(response);
        Assert.Equal(GatehouseFactory.Issuer, body.GetProperty("issuer").GetString());
        Assert.Equal(GatehouseFactory.Issuer + "/.well-known/jwks.json", body.GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task The_JWKS_holds_public_P256_signing_keys_only()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/.well-known/jwks.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var keys = (await ReadJsonAsync(response)).GetProperty("keys").EnumerateArray().ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.Equal("P-256", key.GetProperty("crv").GetString());
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
            Assert.Matches("^[A-Za-z0-9_-]{43}$", key.GetProperty("x").GetString());
            Assert.Matches("^[A-Za-z0-9_-]{43}$", key.GetProperty("y").GetString());
            Assert.False(string.IsNullOrEmpty(key.GetProperty("kid").GetString()));
            foreach (var member in PrivateJwkMembers)
            {
                Assert.False(key.TryGetProperty(member, out _), $"The JWKS must not publish the private member '{member}'.");
            }
        });
        Assert.Equal(keys.Count, keys.Select(k => k.GetProperty("kid").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Health_live_and_ready_answer_200()
    {
        using var client = _factory.CreateApiClient();

        using var live = await client.GetAsync("/health/live", Ct);
        using var ready = await client.GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("application/json", ready.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", (await ReadJsonAsync(ready)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_count_logins_and_refreshes()
    {
        // Hosts start and stop all the time in this test process (every test class has its own), and meters are
        // process-wide: this host must keep counting after another one has stopped.
        await using (var neighbour = new GatehouseFactory())
        {
            await neighbour.InitializeAsync();
            await neighbour.SignupAsync();
        }

        // Meters are process-wide, so counts of other hosts may show here too: compare before and after.
        using var client = _factory.CreateApiClient();
        var before = await ScrapeAsync(client);
        var member = await _factory.SignupAsync(client);
        await LoginForTokensAsync(client, member.Email);
        await AssertRefreshWorksAsync(client, member.RefreshToken);

        // The exporter may answer from a short-lived cache of its last scrape: look again until the counts show.
        var after = await ScrapeAsync(client);
        for (var attempt = 0; attempt < 20 && Sample(after, "gatehouse_refreshes_total", "outcome=\"rotated\"") < Sample(before, "gatehouse_refreshes_total", "outcome=\"rotated\"") + 1; attempt++)
        {
            await Task.Delay(100, Ct);
            after = await ScrapeAsync(client);
        }

        Assert.True(Sample(after, "gatehouse_logins_total", "provider=\"password\"") >= Sample(before, "gatehouse_logins_total", "provider=\"password\"") + 1, "gatehouse_logins_total{provider=\"password\"} did not count the login:\n" + GatehouseLines(after));
        Assert.True(Sample(after, "gatehouse_refreshes_total", "outcome=\"rotated\"") >= Sample(before, "gatehouse_refreshes_total", "outcome=\"rotated\"") + 1, "gatehouse_refreshes_total{outcome=\"rotated\"} did not count the refresh:\n" + GatehouseLines(after));
        Assert.True(Sample(after, "gatehouse_signups_total", "provider=\"password\"") >= Sample(before, "gatehouse_signups_total", "provider=\"password\"") + 1, "gatehouse_signups_total{provider=\"password\"} did not count the sign-up:\n" + GatehouseLines(after));

        Assert.Contains("# TYPE gatehouse_logins_total counter", after, StringComparison.Ordinal);
        Assert.Contains("# TYPE gatehouse_refreshes_total counter", after, StringComparison.Ordinal);

        // No label set past the cardinality limit; the runtime's own figures only when asked for (next test).
        Assert.DoesNotContain("otel_metric_overflow", after, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet_gc_pause_time_seconds_total", after, StringComparison.Ordinal);

        // Labels are small closed sets: never an email or a member id.
        Assert.DoesNotContain(member.Email, after, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Claim(member.AccessToken, "sub"), after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runtime_metrics_show_when_switched_on()
    {
        await using var factory = new GatehouseFactory(s => s[GatehouseBuilderExtensions.RuntimeMetricsKey] = "true");
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        await factory.SignupAsync(client);

        // GC pauses and the thread-pool queue: what the slow-provider benchmark reads to explain a slow refresh.
        var exposition = await ScrapeAsync(client);
        Assert.Contains("# TYPE dotnet_gc_pause_time_seconds_total counter", exposition, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total{", exposition, StringComparison.Ordinal);
        Assert.Contains("dotnet_thread_pool_queue_length", exposition, StringComparison.Ordinal);
        Assert.True(Sample(exposition, "gatehouse_signups_total", "provider=\"password\"") >= 1, "the switch must not hide Gatehouse's own counters");
    }

    internal static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The value of the sample of <paramref name="metric"/> whose labels include <paramref name="label"/>; 0 when absent.</summary>
    internal static double Sample(string exposition, string metric, string label)
    {
        var pattern = new Regex("^" + Regex.Escape(metric) + @"\{([^}]*)\} (\S+)", RegexOptions.Multiline);
        return pattern.Matches(exposition)
            .Where(m => m.Groups[1].Value.Split(',').Contains(label, StringComparer.Ordinal))
            .Select(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Sum();
    }

    private static string GatehouseLines(string exposition) =>
        string.Join('\n', exposition.Split('\n').Where(l => l.Contains("gatehouse", StringComparison.OrdinalIgnoreCase)));

    [Fact]
    public async Task The_OpenAPI_document_lists_the_auth_endpoints()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.GetAsync("/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        var paths = body.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/auth/login", paths);
        Assert.Contains("/auth/signup", paths);
        Assert.Contains("/auth/token", paths);
        Assert.Contains("/members/me", paths);
        Assert.Contains("/auth/providers", paths);
        Assert.Contains("/auth/social/{provider}/authorization", paths);
        Assert.Contains("/auth/social/{provider}/start", paths);
        Assert.Contains("/auth/social/{provider}/callback", paths);
        Assert.Contains("/auth/social/{provider}/unlink", paths);
        Assert.Contains("/auth/social/{provider}/notifications", paths);
        Assert.Contains("/members/me/identities/{provider}", paths);
        Assert.Contains("/admin/webhooks/deliveries", paths);
        Assert.Contains("/admin/webhooks/deliveries/{id}/retry", paths);
        Assert.Contains("/admin/outbox/entries", paths);
        Assert.Equal(JsonValueKind.Object, body.GetProperty("paths").GetProperty("/members/me").GetProperty("delete").ValueKind);

        // The development provider is never part of the described API, even where it is mapped.
        Assert.DoesNotContain(paths, p => p.StartsWith("/dev/", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Object, body.GetProperty("paths").GetProperty("/auth/login").GetProperty("post").ValueKind);
    }

    [Fact]
    public async Task The_docs_page_answers_with_HTML()
    {
        // Follows redirects as a browser would (the page may normalise a trailing slash).
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync("/docs", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
    }
}
