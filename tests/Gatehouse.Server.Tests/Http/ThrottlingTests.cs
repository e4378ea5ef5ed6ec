using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// Failed-login throttling: after the limit (3 here) of failures for an account from an address, even the right
/// password is 429 until the window ends by itself. Nobody can be locked out for good.
/// </summary>
public sealed class ThrottlingTests : IClassFixture<ThrottledGatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public ThrottlingTests(ThrottledGatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task After_3_failures_even_the_right_password_is_429_rate_limited_with_Retry_After()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        await FailLoginsAsync(client, member.Email, 3);
        using var blocked = await LoginAsync(client, member.Email, member.Password);
        using var blockedCookie = await LoginAsync(client, member.Email, member.Password, body: false);

        await AssertProblemAsync(blocked, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(RetryAfterSeconds(blocked), 1, 15 * 60);
        await AssertProblemAsync(blockedCookie, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Null(FindRefreshCookie(blockedCookie));

        // A blocked attempt tells nothing about the password: a wrong one gets the very same answer.
        using var blockedWrong = await LoginAsync(client, member.Email, "wrong passphrase again");
        await AssertProblemAsync(blockedWrong, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(await blocked.Content.ReadAsStringAsync(Ct), await blockedWrong.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_block_is_for_that_account_not_for_others_from_the_same_address()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var neighbour = await _factory.SignupAsync(client);

        await FailLoginsAsync(client, member.Email, 3);
        using var blocked = await LoginAsync(client, member.Email, member.Password);

        await AssertProblemAsync(blocked, HttpStatusCode.TooManyRequests, "rate_limited");
        await LoginForTokensAsync(client, neighbour.Email);
    }

    [Fact]
    public async Task A_success_before_the_limit_forgets_the_failures_from_that_address()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        await FailLoginsAsync(client, member.Email, 2);
        await LoginForTokensAsync(client, member.Email);
        await FailLoginsAsync(client, member.Email, 2);

        await LoginForTokensAsync(client, member.Email);
    }

    [Fact]
    public async Task The_block_ends_when_the_15_minute_window_has_passed()
    {
        Assert.SkipWhen(TestEnvironment.IsDistributed, "Redis expires throttle counters on its own clock, which a FakeTimeProvider cannot advance; The_block_ends_by_itself_in_real_time covers this profile.");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new GatehouseFactory(s => s["Gatehouse:Throttling:MaxFailuresPerAccountAndAddress"] = "3", time);
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        await FailLoginsAsync(client, member.Email, 3);

        // Still blocked a minute before the window ends, and told how long to wait.
        time.Advance(TimeSpan.FromMinutes(14));
        using (var stillBlocked = await LoginAsync(client, member.Email, member.Password))
        {
            await AssertProblemAsync(stillBlocked, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.InRange(RetryAfterSeconds(stillBlocked), 1, 61);
        }

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        await LoginForTokensAsync(client, member.Email);
    }

    [Fact]
    public async Task The_block_ends_by_itself_in_real_time()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "The embedded profile checks the window with a FakeTimeProvider (The_block_ends_when_the_15_minute_window_has_passed) instead of waiting.");
        await using var factory = new GatehouseFactory(s =>
        {
            s["Gatehouse:Throttling:MaxFailuresPerAccountAndAddress"] = "3";
            s["Gatehouse:Throttling:Window"] = "00:00:02";
        });
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        await FailLoginsAsync(client, member.Email, 3);
        using (var blocked = await LoginAsync(client, member.Email, member.Password))
        {
            await AssertProblemAsync(blocked, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.InRange(RetryAfterSeconds(blocked), 1, 2);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);

        await LoginForTokensAsync(client, member.Email);
    }

    [Fact]
    public async Task Guesses_sent_at_once_are_held_to_the_limit()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        await AssertThirtyGuessesAtOnceAreHeldToTheLimitAsync(client, member, async i =>
        {
            using var response = await LoginAsync(client, member.Email, "wrong passphrase " + i);
            return response.StatusCode;
        });
    }

    [Fact]
    public async Task Password_guesses_through_withdrawal_sent_at_once_are_held_to_the_limit_too()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        await AssertThirtyGuessesAtOnceAreHeldToTheLimitAsync(client, member, async i =>
        {
            using var request = Bearer(HttpMethod.Delete, "/members/me", member.AccessToken);
            request.Content = System.Net.Http.Json.JsonContent.Create(new { password = "wrong passphrase " + i });
            using var response = await client.SendAsync(request, Ct);
            return response.StatusCode;
        });
    }

    [Fact]
    public async Task Right_passwords_sent_at_once_count_as_no_failure()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        // A check holds a place while its hash runs. More right passwords at once than places: the extra ones are told
        // to come back in a second (not in a window), and none of them counts as a failure afterwards.
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await LoginAsync(client, member.Email, member.Password);
            return (response.StatusCode, RetryAfter: response.StatusCode == HttpStatusCode.TooManyRequests ? RetryAfterSeconds(response) : 0);
        }));
        await FailLoginsAsync(client, member.Email, 2);

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.OK || (a.StatusCode == HttpStatusCode.TooManyRequests && a.RetryAfter == 1), $"{a}"));
        await LoginForTokensAsync(client, member.Email);
    }

    internal static int RetryAfterSeconds(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter ?? throw new Xunit.Sdk.XunitException("No Retry-After header on the 429.");
        Assert.NotNull(retryAfter.Delta);
        return (int)retryAfter.Delta.Value.TotalSeconds;
    }

    /// <summary>
    /// Each guess holds a place before its hash, not after: the 3 places go to 3 guesses and the other 27 are refused
    /// without a hash (before, all 30 were hashed and answered 401, in both profiles); then even the right password is 429.
    /// </summary>
    private static async Task AssertThirtyGuessesAtOnceAreHeldToTheLimitAsync(HttpClient client, TestMember member, Func<int, Task<HttpStatusCode>> guess)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(guess));
        using var blocked = await LoginAsync(client, member.Email, member.Password);

        Assert.Equal(3, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(27, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        await AssertProblemAsync(blocked, HttpStatusCode.TooManyRequests, "rate_limited");
    }

    private static async Task FailLoginsAsync(HttpClient client, string email, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await LoginAsync(client, email, "wrong passphrase " + i);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
        }
    }
}
