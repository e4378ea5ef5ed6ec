using System.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>
/// How a provider's failures reach the member: one POST for the code (never retried), retried GETs, a deadline, and a
/// body cap. Shown on Kakao's shape (token, then user); every preset shares the same HTTP layer.
/// </summary>
public sealed class ProviderResilienceTests(KakaoFake fixture) : ProviderTestBase(fixture.Server, "kakao"), IClassFixture<KakaoFake>
{
    [Fact]
    public async Task A_5xx_at_the_token_endpoint_is_a_provider_error_after_exactly_one_post()
    {
        Fake.Fault(FakeEndpoint.Token, FakeFault.ServerError);

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("HTTP 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Fake.Calls(FakeEndpoint.Token));
    }

    [Theory]
    [InlineData(FakeEndpoint.Token)]
    [InlineData(FakeEndpoint.UserInfo)]
    public async Task A_slow_endpoint_fails_within_the_timeout(FakeEndpoint endpoint)
    {
        Fake.Fault(endpoint, FakeFault.Slow);
        var provider = Provider(s => s["Gatehouse:Social:ProviderTimeout"] = "00:00:01");
        var (attempt, callback) = await AuthorizeAsync(provider);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SocialProviderException>(() => provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("did not answer within 1 s", error.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.Equal(1, Fake.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_5xx_once_at_the_user_endpoint_is_retried_and_the_login_succeeds()
    {
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError, times: 1);

        var profile = await LoginAsync(Provider());

        Assert.Equal("4117532219", profile.Subject);
        Assert.Equal(2, Fake.Calls(FakeEndpoint.UserInfo));
    }

    [Fact]
    public async Task A_user_endpoint_that_keeps_failing_is_tried_three_times()
    {
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError);

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal(3, Fake.Calls(FakeEndpoint.UserInfo));
    }

    [Theory]
    [InlineData(FakeEndpoint.Token)]
    [InlineData(FakeEndpoint.UserInfo)]
    public async Task An_html_page_instead_of_json_is_a_provider_error(FakeEndpoint endpoint)
    {
        Fake.Fault(endpoint, FakeFault.Html);

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("not JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_callers_cancellation_stays_a_cancellation()
    {
        Fake.Fault(FakeEndpoint.Token, FakeFault.Slow);
        var provider = Provider();
        var (attempt, callback) = await AuthorizeAsync(provider);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.RedeemAsync(attempt.Redemption(callback), cancel.Token));
    }

    [Fact]
    public async Task A_host_that_keeps_failing_is_not_called_until_its_break_is_over()
    {
        var provider = Provider(Circuit(breakDuration: "00:00:01"));
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError);

        // The token call succeeds and the user call fails: half of two calls to the host, so the circuit opens and the
        // retry is refused without a call.
        var first = await LoginFailsAsync(provider);
        Assert.Equal(SocialErrors.ProviderError, first.Error);
        Assert.Equal(1, Fake.Calls(FakeEndpoint.UserInfo));

        // Its token endpoint is on the same host: the next login fails at once, without calling either.
        var clock = Stopwatch.StartNew();
        var second = await LoginFailsAsync(provider);
        Assert.Equal(SocialErrors.ProviderError, second.Error);
        Assert.Contains("the token endpoint's host failed too often lately; Gatehouse does not call it for another 1 s (Gatehouse:Social:CircuitBreaker)", second.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal(1, Fake.Calls(FakeEndpoint.Token));
        Assert.Equal(1, Fake.Calls(FakeEndpoint.UserInfo));

        // The provider recovers; after the break, one call tries it and the circuit closes.
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError, times: 0);
        await Task.Delay(TimeSpan.FromSeconds(1.2), TestContext.Current.CancellationToken);
        Assert.Equal("4117532219", (await LoginAsync(provider)).Subject);
        Assert.Equal("4117532219", (await LoginAsync(provider)).Subject);
        Assert.Equal(3, Fake.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task An_open_circuit_leaves_the_providers_other_hosts_alone()
    {
        // The same fake under another name is another host to the client, as Kakao's kapi.kakao.com is to kauth.kakao.com.
        var provider = Provider(s =>
        {
            Circuit()(s);
            s["Gatehouse:Social:Providers:kakao:UserInfoEndpoint"] = s["Gatehouse:Social:Providers:kakao:UserInfoEndpoint"]!.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        });
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError);
        await LoginFailsAsync(provider);

        var error = await LoginFailsAsync(provider);

        Assert.Contains("the user endpoint's host failed too often lately", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, Fake.Calls(FakeEndpoint.Token));
        Assert.Equal(2, Fake.Calls(FakeEndpoint.UserInfo));
    }

    [Fact]
    public async Task Refusals_are_no_failures_of_the_host()
    {
        // Each replay is three calls (a redemption's token and user calls, then the replay's): were its 400 a failure of
        // the host, a third of the calls would have failed and the circuit would open at the first.
        var provider = Provider(s =>
        {
            Circuit()(s);
            s["Gatehouse:Social:CircuitBreaker:FailureRatio"] = "0.3";
        });

        // Four replayed codes: four 400 invalid_grant answers from the token endpoint, which is working.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(OAuthErrors.InvalidGrant, (await ReplayFailsAsync(provider)).Error);
        }

        Assert.Equal("4117532219", (await LoginAsync(provider)).Subject);
    }

    [Fact]
    public async Task Without_the_circuit_breaker_every_login_calls_the_failing_host()
    {
        var provider = Provider(s =>
        {
            Circuit()(s);
            s["Gatehouse:Social:CircuitBreaker:Enabled"] = "false";
        });
        Fake.Fault(FakeEndpoint.UserInfo, FakeFault.ServerError);

        await LoginFailsAsync(provider);
        await LoginFailsAsync(provider);

        Assert.Equal(6, Fake.Calls(FakeEndpoint.UserInfo));
    }

    [Fact]
    public async Task An_unreachable_provider_is_a_provider_error()
    {
        var error = await LoginFailsAsync(Provider(s => s["Gatehouse:Social:Providers:kakao:UserInfoEndpoint"] = "http://127.0.0.1:1/v2/user/me"));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A circuit that opens when half of at least two calls failed (the defaults want ten calls in 30 s).</summary>
    private static Action<IDictionary<string, string?>> Circuit(string breakDuration = "00:00:30") => s =>
    {
        s["Gatehouse:Social:CircuitBreaker:MinimumThroughput"] = "2";
        s["Gatehouse:Social:CircuitBreaker:BreakDuration"] = breakDuration;
    };
}

[CollectionDefinition(nameof(OversizedResponseTests), DisableParallelization = true)]
public sealed class OversizedResponseGroup;

/// <summary>Alone in its collection: it measures the process's allocations.</summary>
[Collection(nameof(OversizedResponseTests))]
public sealed class OversizedResponseTests(KakaoFake fixture) : ProviderTestBase(fixture.Server, "kakao"), IClassFixture<KakaoFake>
{
    [Theory]
    [InlineData(FakeEndpoint.Token)]
    [InlineData(FakeEndpoint.UserInfo)]
    public async Task A_10_mb_answer_is_a_provider_error_read_no_further_than_the_cap(FakeEndpoint endpoint)
    {
        var provider = Provider();
        await LoginAsync(provider);
        Fake.Fault(endpoint, FakeFault.HugeBody);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var error = await LoginFailsAsync(provider);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("more than 1024 KiB", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 6 * 1024 * 1024, $"Allocated {allocated:N0} bytes for a 10 MB answer.");
    }
}
