using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// The PostgreSQL database disappears mid-run (dropped with its connections terminated): what needs it answers 503,
/// never 500, readiness says so, and what does not need it (refresh, JWKS) goes on. Embedded SQLite has no realistic
/// equivalent (a deleted file is recreated).
/// </summary>
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task While_the_database_is_gone_calls_that_need_it_answer_503_and_readiness_fails()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Needs PostgreSQL: runs in the distributed profile (GATEHOUSE_TEST_PROFILE=distributed).");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = await Api.StartAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);

        await TestEnvironment.DropPostgresDatabaseAsync(factory.PostgresConnectionString!, ct);

        var expect = new Expectations();
        expect.Unavailable(await Api.LoginAsync(client, member.Email, cancellationToken: ct), "POST /auth/login with the database gone", Bound);
        expect.Unavailable(await Api.SignupAsync(client, Api.NewEmail(), cancellationToken: ct), "POST /auth/signup with the database gone", Bound);
        expect.Unavailable(await Api.MeAsync(client, member.AccessToken, ct), "GET /members/me with the database gone", Bound);

        // Sessions live in Redis and signing keys in memory: refreshing and verifying go on without the database.
        expect.Status(await Api.RefreshAsync(client, member.RefreshToken, ct), HttpStatusCode.OK, "POST /auth/token with the database gone (the session is in Redis)");
        expect.Status(await Api.GetAsync(client, "/.well-known/jwks.json", cancellationToken: ct), HttpStatusCode.OK, "GET /.well-known/jwks.json with the database gone");
        var ready = await Api.GetAsync(client, "/health/ready", cancellationToken: ct);
        expect.Status(ready, HttpStatusCode.ServiceUnavailable, "GET /health/ready with the database gone");
        expect.That(ready.Elapsed < Bound, $"GET /health/ready took {ready.Elapsed.TotalSeconds:F1} s with the database gone");
        expect.Status(await Api.GetAsync(client, "/health/live", cancellationToken: ct), HttpStatusCode.OK, "GET /health/live with the database gone");
        expect.Verify();
    }
}
