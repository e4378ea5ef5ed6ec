using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Two real server processes of one deployment started at the same moment on an empty database: migrations and the
/// first signing key must not make either fail, and both must end up publishing the same keys. (A class of its own so
/// it runs in parallel with <see cref="TwoProcessTests"/>.)
/// </summary>
public sealed class TwoProcessStartupTests
{
    [Fact]
    public async Task Two_processes_starting_at_once_on_an_empty_database_both_become_ready_and_agree_on_keys()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, TwoProcessTests.NeedsSharedStores);
        var ct = TestContext.Current.CancellationToken;
        await using var deployment = await TwoProcessDeployment.CreateAsync(ct);
        var a = deployment.Start("A", deployment.IssuerPort);
        var b = deployment.Start("B");
        await Task.WhenAll(a.WaitReadyAsync(TwoProcessDeployment.ReadyTimeout, ct), b.WaitReadyAsync(TwoProcessDeployment.ReadyTimeout, ct));
        using var onA = a.CreateClient();
        using var onB = b.CreateClient();

        var agreed = await Api.PollAsync(
            async () => (A: await Api.JwksKidsAsync(onA, ct), B: await Api.JwksKidsAsync(onB, ct)),
            k => k.A.Count > 0 && k.A.SequenceEqual(k.B),
            TwoProcessTests.KeyRefresh);
        Assert.True(agreed.A.Count > 0 && agreed.A.SequenceEqual(agreed.B), $"JWKS of A [{string.Join(",", agreed.A)}] and B [{string.Join(",", agreed.B)}] differ after {TwoProcessTests.KeyRefresh.TotalSeconds:F0} s");

        var now = DateTimeOffset.UtcNow;
        var signing = (await Api.AdminKeysAsync(onA, ct)).Count(k => k.ActivatesAt <= now && (k.RetiresAt is null || k.RetiresAt > now));
        if (signing > 1)
        {
            TestContext.Current.AddWarning($"Two processes starting at once created {signing} signing keys that are active together (harmless: both are published).");
        }

        var signup = await Api.SignupAsync(onA, Api.NewEmail(), cancellationToken: ct);
        Assert.True(signup.Status == HttpStatusCode.Created, $"sign-up on A: {signup}");
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(onB, signup.AccessToken!, ct)).Status);
        var fromB = await Api.RefreshAsync(onB, signup.RefreshToken!, ct);
        Assert.True(fromB.Status == HttpStatusCode.OK, fromB.ToString());
        Assert.Equal(HttpStatusCode.OK, (await Api.MeAsync(onA, fromB.AccessToken!, ct)).Status);
    }
}
