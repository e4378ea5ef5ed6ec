using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Many refreshes of one refresh token at once (a native app retrying, two tabs waking up together) must all succeed
/// with the same successor, and a replay after the reuse leeway must end the whole family and nothing else.
/// The host's clock is fake and does not move during a race, so "at once" is within the leeway by construction.
/// </summary>
public sealed class RefreshConcurrencyTests
{
    private const int Racers = 50;
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Fifty_concurrent_refreshes_of_one_token_all_succeed_with_one_successor()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(time: time);
        var member = await factory.SignupAsync();
        var gate = new StartGate();
        using var client = factory.CreateDefaultClient(new Uri(GatehouseFactory.Issuer), gate.CreateHandler());

        var responses = await RaceAsync(gate, Racers, _ => Api.RefreshAsync(client, member.RefreshToken, ct));

        AssertAllOk(responses);
        var successor = Assert.Single(responses.Select(r => r.RefreshToken).Distinct(StringComparer.Ordinal));
        Assert.NotNull(successor);
        Assert.NotEqual(member.RefreshToken, successor);
        var sid = new JsonWebToken(member.AccessToken).GetClaim("sid").Value;
        Assert.All(responses, r => Assert.Equal(sid, new JsonWebToken(r.AccessToken!).GetClaim("sid").Value));
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(client, responses[^1].AccessToken!, ct)).Status);

        var next = await Api.RefreshAsync(client, successor, ct);
        Assert.True(next.Status == HttpStatusCode.OK, $"the successor must work: {next}");
        Assert.NotEqual(successor, next.RefreshToken);

        var sessions = await Api.GetAsync(client, "/auth/sessions", next.AccessToken, ct);
        Assert.True(sessions.Status == HttpStatusCode.OK, sessions.ToString());
        var only = Assert.Single(sessions.Json.EnumerateArray());
        Assert.Equal(sid, only.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Replaying_the_original_after_the_leeway_revokes_the_family_but_not_the_members_other_sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(time: time);
        var member = await factory.SignupAsync();
        var gate = new StartGate();
        using var client = factory.CreateDefaultClient(new Uri(GatehouseFactory.Issuer), gate.CreateHandler());
        var other = await Api.LoginAsync(client, member.Email, cancellationToken: ct);
        Assert.True(other.Status == HttpStatusCode.OK, $"a second login: {other}");

        var race = await RaceAsync(gate, Racers, _ => Api.RefreshAsync(client, member.RefreshToken, ct));
        AssertAllOk(race);
        var successor = Assert.Single(race.Select(r => r.RefreshToken).Distinct(StringComparer.Ordinal))!;
        var latest = await Api.RefreshAsync(client, successor, ct);
        Assert.True(latest.Status == HttpStatusCode.OK, latest.ToString());

        time.Advance(Leeway + TimeSpan.FromSeconds(1));
        var replay = await Api.RefreshAsync(client, member.RefreshToken, ct);

        AssertInvalidGrant(replay, "the original token replayed after the leeway");
        AssertInvalidGrant(await Api.RefreshAsync(client, latest.RefreshToken!, ct), "the family's current token after the family was revoked");
        AssertInvalidGrant(await Api.RefreshAsync(client, successor, ct), "the family's previous token after the family was revoked");
        var stillThere = await Api.RefreshAsync(client, other.RefreshToken!, ct);
        Assert.True(stillThere.Status == HttpStatusCode.OK, $"the member's other session must survive: {stillThere}");
        var sessions = await Api.GetAsync(client, "/auth/sessions", stillThere.AccessToken, ct);
        var listed = Assert.Single(sessions.Json.EnumerateArray());
        Assert.Equal(new JsonWebToken(other.AccessToken!).GetClaim("sid").Value, listed.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_previous_token_is_answered_with_the_same_successor_inside_the_leeway_and_revokes_the_family_after_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(time: time);
        var member = await factory.SignupAsync();
        using var client = factory.CreateApiClient();
        var first = await Api.RefreshAsync(client, member.RefreshToken, ct);
        Assert.True(first.Status == HttpStatusCode.OK, first.ToString());

        time.Advance(Leeway - TimeSpan.FromSeconds(1));
        var late = await Api.RefreshAsync(client, member.RefreshToken, ct);
        Assert.True(late.Status == HttpStatusCode.OK, $"a replay 9 s after the rotation is within the 10 s leeway: {late}");
        Assert.Equal(first.RefreshToken, late.RefreshToken);

        time.Advance(TimeSpan.FromSeconds(2));
        AssertInvalidGrant(await Api.RefreshAsync(client, member.RefreshToken, ct), "the previous token 11 s after the rotation");
        AssertInvalidGrant(await Api.RefreshAsync(client, first.RefreshToken!, ct), "the successor once the family was revoked");
    }

    [Fact]
    public async Task Two_tabs_sharing_one_refresh_cookie_race_fifty_refreshes_and_both_stay_logged_in()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(time: time);
        var gate = new StartGate();
        var jarA = new CookieJar();
        var jarB = new CookieJar();
        using var tabA = CreateTab(factory, jarA, gate);
        using var tabB = CreateTab(factory, jarB, gate);
        var signup = await Api.SignupAsync(tabA, Api.NewEmail(), delivery: null, cancellationToken: ct);
        Assert.True(signup.Status == HttpStatusCode.Created, signup.ToString());
        var original = jarA.RefreshToken;
        Assert.NotNull(original);
        jarB.RefreshToken = original;

        var race = await RaceAsync(gate, Racers, i => Api.RefreshWithCookieAsync(i % 2 == 0 ? tabA : tabB, ct));

        AssertAllOk(race);
        var successor = Assert.Single(race.Select(r => r.RefreshCookie).Distinct(StringComparer.Ordinal));
        Assert.False(string.IsNullOrEmpty(successor), "every answer sets the refresh cookie");
        Assert.NotEqual(original, successor);
        Assert.All(race, r => Assert.Null(r.RefreshToken));
        Assert.Equal(successor, jarA.RefreshToken);
        Assert.Equal(successor, jarB.RefreshToken);

        // Each tab goes on refreshing with what its jar holds; neither may be logged out by the other.
        foreach (var tab in new[] { tabA, tabB, tabB, tabA })
        {
            var next = await Api.RefreshWithCookieAsync(tab, ct);
            Assert.True(next.Status == HttpStatusCode.OK, $"a tab refreshing after the race: {next}");
            Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(tab, next.AccessToken!, ct)).Status);
        }
    }

    internal static async Task<ApiResponse[]> RaceAsync(StartGate gate, int count, Func<int, Task<ApiResponse>> call)
    {
        gate.Arm(count);
        return await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => call(i))));
    }

    internal static void AssertAllOk(IReadOnlyCollection<ApiResponse> responses)
    {
        var failures = responses.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {responses.Count} concurrent refreshes failed, e.g. {string.Join(" | ", failures.Take(3))}");
    }

    internal static void AssertInvalidGrant(ApiResponse response, string what)
    {
        Assert.True(response.Status == HttpStatusCode.Unauthorized && response.Error == "invalid_grant", $"{what}: expected 401 invalid_grant, got {response}");
    }

    private static HttpClient CreateTab(GatehouseFactory factory, CookieJar jar, StartGate gate)
    {
        // The gate comes after the cookie handler: every racing request carries the cookie the jar held before any answer.
        var client = factory.CreateDefaultClient(new Uri(GatehouseFactory.Issuer), new CookieContainerHandler(jar.Container), gate.CreateHandler());
        client.DefaultRequestHeaders.Add("Origin", "https://app.example.test");
        return client;
    }

    /// <summary>A browser's cookie store for Gatehouse's origin.</summary>
    private sealed class CookieJar
    {
        private static readonly Uri AuthUri = new(GatehouseFactory.Issuer + "/auth/token");

        public CookieContainer Container { get; } = new();

        public string? RefreshToken
        {
            get => Container.GetCookies(AuthUri)["gh_refresh"]?.Value;
            set => Container.Add(AuthUri, new Cookie("gh_refresh", value, "/auth") { Secure = true, HttpOnly = true });
        }
    }
}
