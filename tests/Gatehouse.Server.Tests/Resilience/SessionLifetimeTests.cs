using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// A session ends when it is not used for <c>RefreshIdleLifetime</c> (each refresh slides that) and, however much it
/// is used, at <c>RefreshAbsoluteLifetime</c>. The clock is fake: in the distributed profile Redis TTLs keep running in
/// real time, so these pass only if the server itself compares the session's expiry times with its clock.
/// </summary>
public sealed class SessionLifetimeTests
{
    private static readonly Action<IDictionary<string, string?>> ShortLifetimes = s =>
    {
        s["Gatehouse:Tokens:AccessTokenLifetime"] = "00:01:00";
        s["Gatehouse:Tokens:RefreshIdleLifetime"] = "00:10:00";
        s["Gatehouse:Tokens:RefreshAbsoluteLifetime"] = "00:30:00";
    };

    [Fact]
    public async Task Idle_expiry_slides_with_each_refresh_and_the_absolute_lifetime_ends_the_session_anyway()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(ShortLifetimes, time);
        using var client = factory.CreateApiClient();
        var signup = await Api.SignupAsync(client, Api.NewEmail(), cancellationToken: ct);
        Assert.True(signup.Status == HttpStatusCode.Created, signup.ToString());
        Assert.Equal(600, signup.RefreshExpiresIn);
        var token = signup.RefreshToken!;

        // Every 9 minutes, past the first idle expiry (10 min) and on towards the absolute one (30 min).
        foreach (var (advance, expectedRemaining) in new[] { (9, 600L), (9, 600L), (9, 180L) })
        {
            time.Advance(TimeSpan.FromMinutes(advance));
            var refreshed = await Api.RefreshAsync(client, token, ct);
            Assert.True(refreshed.Status == HttpStatusCode.OK, $"a refresh every 9 min keeps a 10 min idle session alive: {refreshed}");
            Assert.Equal(expectedRemaining, refreshed.RefreshExpiresIn);
            token = refreshed.RefreshToken!;
        }

        time.Advance(TimeSpan.FromSeconds(179));
        var lastSecond = await Api.RefreshAsync(client, token, ct);
        Assert.True(lastSecond.Status == HttpStatusCode.OK, $"one second before the absolute expiry: {lastSecond}");
        Assert.Equal(1, lastSecond.RefreshExpiresIn);

        time.Advance(TimeSpan.FromSeconds(2));
        RefreshConcurrencyTests.AssertInvalidGrant(await Api.RefreshAsync(client, lastSecond.RefreshToken!, ct), "a refresh one second after the absolute lifetime");
    }

    [Fact]
    public async Task A_session_unused_for_longer_than_the_idle_lifetime_ends_while_a_used_one_lives_on()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(ShortLifetimes, time);
        using var client = factory.CreateApiClient();
        var idle = await factory.SignupAsync(client);
        var used = await Api.LoginAsync(client, idle.Email, cancellationToken: ct);
        Assert.True(used.Status == HttpStatusCode.OK, used.ToString());

        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var kept = await Api.RefreshAsync(client, used.RefreshToken!, ct);
        Assert.True(kept.Status == HttpStatusCode.OK, $"one second before idle expiry: {kept}");

        time.Advance(TimeSpan.FromSeconds(2));
        RefreshConcurrencyTests.AssertInvalidGrant(await Api.RefreshAsync(client, idle.RefreshToken, ct), "a session unused for 10 min 1 s (idle lifetime 10 min)");

        var alive = await Api.RefreshAsync(client, kept.RefreshToken!, ct);
        Assert.True(alive.Status == HttpStatusCode.OK, $"the session refreshed at 9:59 lives until 19:59: {alive}");
        var sessions = await Api.GetAsync(client, "/auth/sessions", alive.AccessToken, ct);
        Assert.True(sessions.Status == HttpStatusCode.OK, sessions.ToString());
        var listed = Assert.Single(sessions.Json.EnumerateArray());
        Assert.Equal(new JsonWebToken(used.AccessToken!).GetClaim("sid").Value, listed.GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_access_token_is_accepted_until_its_expiry_plus_the_clock_skew_and_refused_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = Api.NewClock();
        await using var factory = await Api.StartAsync(ShortLifetimes, time);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(1), Api.Expires(member.AccessToken));

        time.Advance(TimeSpan.FromSeconds(60 + 30));
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(client, member.AccessToken, ct)).Status);

        time.Advance(TimeSpan.FromSeconds(1));
        var expired = await Api.MeAsync(client, member.AccessToken, ct);
        Assert.True(expired.Status == HttpStatusCode.Unauthorized && expired.Error == "invalid_token", $"an access token 31 s past exp: {expired}");
    }
}
