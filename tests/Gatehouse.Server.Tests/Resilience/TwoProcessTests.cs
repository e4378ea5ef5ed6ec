using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Two real server processes of one deployment behind no load balancer: whatever one issues, the other honours;
/// one token family stays one family across both; keys one creates, the other publishes.
/// </summary>
public sealed class TwoProcessTests
{
    internal const string NeedsSharedStores = "Needs PostgreSQL and Redis shared by two processes: runs in the distributed profile.";

    /// <summary>How long a key one process created may take to reach the other's JWKS (RefreshInterval is 1 s).</summary>
    internal static readonly TimeSpan KeyRefresh = TimeSpan.FromSeconds(10);
    private const int Racers = 20;

    [Fact]
    public async Task Two_processes_share_sessions_tokens_and_signing_keys()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, NeedsSharedStores);
        var ct = TestContext.Current.CancellationToken;
        await using var deployment = await TwoProcessDeployment.CreateAsync(ct);
        var a = deployment.Start("A", deployment.IssuerPort);
        await a.WaitReadyAsync(TwoProcessDeployment.ReadyTimeout, ct);
        var b = deployment.Start("B");
        await b.WaitReadyAsync(TwoProcessDeployment.ReadyTimeout, ct);
        var gate = new StartGate();
        using var onA = a.CreateClient(gate);
        using var onB = b.CreateClient(gate);

        var signup = await Api.SignupAsync(onA, Api.NewEmail(), cancellationToken: ct);
        Assert.True(signup.Status == HttpStatusCode.Created, $"sign-up on A: {signup}");
        var fromB = await Api.RefreshAsync(onB, signup.RefreshToken!, ct);
        Assert.True(fromB.Status == HttpStatusCode.OK, $"B refreshes a token A issued: {fromB}");
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(onA, fromB.AccessToken!, ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(onB, signup.AccessToken!, ct)).Status);
        var kids = await Api.JwksKidsAsync(onA, ct);
        Assert.Equal(kids, await Api.JwksKidsAsync(onB, ct));

        var race = await RefreshConcurrencyTests.RaceAsync(gate, Racers, i => Api.RefreshAsync(i % 2 == 0 ? onA : onB, fromB.RefreshToken!, ct));
        RefreshConcurrencyTests.AssertAllOk(race);
        var successor = Assert.Single(race.Select(r => r.RefreshToken).Distinct(StringComparer.Ordinal))!;
        var next = await Api.RefreshAsync(onA, successor, ct);
        Assert.True(next.Status == HttpStatusCode.OK, $"the successor on A: {next}");

        var logout = await Api.PostJsonAsync(onB, "/auth/logout", new { refreshToken = next.RefreshToken }, cancellationToken: ct);
        Assert.Equal(HttpStatusCode.NoContent, logout.Status);
        RefreshConcurrencyTests.AssertInvalidGrant(await Api.RefreshAsync(onA, next.RefreshToken!, ct), "a refresh on A after logout on B");

        var rotation = await Api.RotateKeyAsync(onA, ct);
        Assert.True(rotation.Status == HttpStatusCode.OK, $"rotate on A: {rotation}");
        var k2 = rotation.Property("kid")!;
        var seenByB = await Api.PollAsync(() => Api.JwksKidsAsync(onB, ct), k => k.Contains(k2), KeyRefresh);
        Assert.True(seenByB.Contains(k2), $"B's JWKS {string.Join(",", seenByB)} lacks the key {k2} rotated on A after {KeyRefresh.TotalSeconds:F0} s");
        Assert.Equal(await Api.JwksKidsAsync(onA, ct), seenByB);
    }
}
