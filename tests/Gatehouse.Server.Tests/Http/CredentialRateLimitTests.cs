using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>The per-address token bucket on the endpoints that cost a password hash (<c>Gatehouse:RateLimits</c>).</summary>
public sealed class CredentialRateLimitTests
{
    [Fact]
    public async Task Logins_and_signups_beyond_the_burst_are_429_rate_limited_with_Retry_After()
    {
        await using var factory = new GatehouseFactory(s =>
        {
            s["Gatehouse:RateLimits:CredentialRequestsPerSecond"] = "1";
            s["Gatehouse:RateLimits:CredentialBurst"] = "2";
        });
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();

        // Three logins and three sign-ups at once, from one address: the bucket (2 tokens, 1 more per second) admits
        // two of the six, so at least one of each kind is refused whichever two win.
        var requests = Enumerable.Range(0, 3).SelectMany(_ => new[] { PostCredentialsAsync(client, "/auth/login"), PostCredentialsAsync(client, "/auth/signup") }).ToList();
        var responses = await Task.WhenAll(requests);
        try
        {
            Assert.Equal(2, responses.Count(r => r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Created));
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.Equal(4, limited.Count);
            Assert.Contains(limited, r => r.RequestMessage!.RequestUri!.AbsolutePath == "/auth/login");
            Assert.Contains(limited, r => r.RequestMessage!.RequestUri!.AbsolutePath == "/auth/signup");
            foreach (var response in limited)
            {
                await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
                Assert.InRange(ThrottlingTests.RetryAfterSeconds(response), 1, 2);
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        // The refresh endpoint costs no hash and is not in this bucket.
        using var refresh = await RefreshWithBodyAsync(client, RandomRefreshShapedToken());
        await AssertProblemAsync(refresh, HttpStatusCode.Unauthorized, "invalid_grant");

        // The bucket refills: a request a little later is admitted.
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
        using var later = await PostCredentialsAsync(client, "/auth/login");
        await AssertProblemAsync(later, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    private static Task<HttpResponseMessage> PostCredentialsAsync(HttpClient client, string path) =>
        client.PostAsJsonAsync(path, new { email = NewEmail("burst"), password = Password, nickname = "Burst" }, Ct);
}
