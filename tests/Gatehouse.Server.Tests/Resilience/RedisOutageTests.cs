using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Redis (the session and throttle store of the distributed profile) dies with SIGKILL mid-run and comes back empty.
/// Each test has a redis-server of its own, so killing it disturbs nobody else.
/// </summary>
public sealed class RedisOutageTests
{
    private const string NeedsRedis = "Needs Redis: runs in the distributed profile (GATEHOUSE_TEST_PROFILE=distributed).";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task While_redis_is_down_session_calls_answer_503_quickly_and_access_tokens_keep_working()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, NeedsRedis);
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await TestEnvironment.PrivateRedisServer.StartNewAsync(ct);
        await using var factory = await Api.StartAsync(WithRedis(redis.Configuration));
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync(client, "/health/ready", cancellationToken: ct)).Status);

        await redis.StopAsync();

        var expect = new Expectations();
        expect.Unavailable(await Api.RefreshAsync(client, member.RefreshToken, ct), "POST /auth/token with Redis down", Bound);
        expect.Unavailable(await Api.LoginAsync(client, member.Email, cancellationToken: ct), "POST /auth/login with Redis down", Bound);

        // A client that accepts no JSON type (a browser's Accept) got an empty 500 here: the exception handler found no
        // problem details writer for it and failed in its turn.
        var browserLike = new HttpRequestMessage(HttpMethod.Post, "/auth/token") { Content = JsonContent.Create(new { refreshToken = member.RefreshToken }) };
        browserLike.Headers.Accept.ParseAdd("text/html");
        expect.Unavailable(await Api.SendAsync(client, browserLike, ct), "POST /auth/token with Redis down and Accept: text/html", Bound);
        expect.Status(await Api.MeAsync(client, member.AccessToken, ct), HttpStatusCode.OK, "GET /members/me with a valid access token and Redis down");
        var ready = await Api.GetAsync(client, "/health/ready", cancellationToken: ct);
        expect.Status(ready, HttpStatusCode.ServiceUnavailable, "GET /health/ready with Redis down");
        expect.That(ready.Elapsed < Bound, $"GET /health/ready took {ready.Elapsed.TotalSeconds:F1} s with Redis down");
        expect.Status(await Api.GetAsync(client, "/health/live", cancellationToken: ct), HttpStatusCode.OK, "GET /health/live with Redis down");
        expect.Verify();
    }

    [Fact]
    public async Task After_redis_comes_back_empty_lost_sessions_are_refused_cleanly_and_logins_work_again()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, NeedsRedis);
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await TestEnvironment.PrivateRedisServer.StartNewAsync(ct);
        await using var factory = await Api.StartAsync(WithRedis(redis.Configuration));
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);

        await redis.StopAsync();
        var duringEmail = Api.NewEmail();
        var during = await Api.SignupAsync(client, duringEmail, cancellationToken: ct);
        await redis.StartAsync(ct);

        var expect = new Expectations();
        expect.That(during.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.Created, $"a sign-up while Redis was down: expected 503 (or 201), got {during}");

        // A fresh redis-server has none of the sessions: the old token names a session that no longer exists.
        var old = await Api.PollAsync(() => Api.RefreshAsync(client, member.RefreshToken, ct), r => r.Status != HttpStatusCode.ServiceUnavailable, Recovery);
        expect.That(old.Status == HttpStatusCode.Unauthorized && old.Error == "invalid_grant", $"a refresh token whose session Redis lost: expected 401 invalid_grant, got {old}");

        var login = await Api.PollAsync(() => Api.LoginAsync(client, member.Email, cancellationToken: ct), r => r.Status == HttpStatusCode.OK, Recovery);
        expect.Status(login, HttpStatusCode.OK, $"a login within {Recovery.TotalSeconds:F0} s of Redis coming back");
        if (login.Status == HttpStatusCode.OK)
        {
            expect.Status(await Api.MeAsync(client, login.AccessToken!, ct), HttpStatusCode.OK, "GET /members/me after the outage");
            expect.Status(await Api.RefreshAsync(client, login.RefreshToken!, ct), HttpStatusCode.OK, "a refresh of a session created after the outage");
        }

        // Nothing half-written: whoever signed up during the outage either can log in or can sign up again.
        var duringLogin = await Api.LoginAsync(client, duringEmail, cancellationToken: ct);
        if (duringLogin.Status != HttpStatusCode.OK)
        {
            var retry = await Api.SignupAsync(client, duringEmail, cancellationToken: ct);
            expect.That(retry.Status == HttpStatusCode.Created, $"the account signed up during the outage can neither log in ({duringLogin}) nor sign up again ({retry})");
        }

        var ready = await Api.PollAsync(() => Api.GetAsync(client, "/health/ready", cancellationToken: ct), r => r.Status == HttpStatusCode.OK, Recovery);
        expect.Status(ready, HttpStatusCode.OK, "GET /health/ready after Redis came back");
        expect.Verify();
    }

    [Fact]
    public async Task A_server_started_while_redis_is_down_starts_unready_and_serves_once_redis_appears()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, NeedsRedis);
        var ct = TestContext.Current.CancellationToken;
        await using var redis = new TestEnvironment.PrivateRedisServer();
        await using var factory = await Api.StartAsync(WithRedis(redis.Configuration));
        using var client = factory.CreateApiClient();

        var expect = new Expectations();
        expect.Status(await Api.GetAsync(client, "/health/live", cancellationToken: ct), HttpStatusCode.OK, "GET /health/live before Redis ever answered");
        expect.Status(await Api.GetAsync(client, "/health/ready", cancellationToken: ct), HttpStatusCode.ServiceUnavailable, "GET /health/ready before Redis ever answered");
        expect.Unavailable(await Api.SignupAsync(client, Api.NewEmail(), cancellationToken: ct), "POST /auth/signup before Redis ever answered", Bound);

        await redis.StartAsync(ct);
        var ready = await Api.PollAsync(() => Api.GetAsync(client, "/health/ready", cancellationToken: ct), r => r.Status == HttpStatusCode.OK, Recovery);
        expect.Status(ready, HttpStatusCode.OK, $"GET /health/ready within {Recovery.TotalSeconds:F0} s of Redis starting");
        var signup = await Api.PollAsync(() => Api.SignupAsync(client, Api.NewEmail(), cancellationToken: ct), r => r.Status == HttpStatusCode.Created, Recovery);
        expect.Status(signup, HttpStatusCode.Created, "a sign-up once Redis is up");
        if (signup.Status == HttpStatusCode.Created)
        {
            expect.Status(await Api.RefreshAsync(client, signup.RefreshToken!, ct), HttpStatusCode.OK, "a refresh once Redis is up");
        }

        expect.Verify();
    }

    /// <summary>The private Redis, with the shipped 1 s bound per command (the test hosts' default is longer).</summary>
    private static Action<IDictionary<string, string?>> WithRedis(string configuration) => s =>
    {
        s["ConnectionStrings:Redis"] = configuration;
        s["Gatehouse:Redis:OperationTimeout"] = "00:00:01";
    };
}
