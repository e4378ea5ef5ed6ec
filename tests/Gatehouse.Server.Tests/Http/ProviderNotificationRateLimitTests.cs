using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// The per-address token bucket on the providers' deprovisioning callbacks (Kakao's unlink, Apple's notifications):
/// <c>Gatehouse:RateLimits:ProviderNotification*</c>, a bucket apart from the credential endpoints'.
/// </summary>
public sealed class ProviderNotificationRateLimitTests
{
    [Fact]
    public async Task Callbacks_beyond_the_burst_are_429_rate_limited_with_Retry_After_and_leave_logins_alone()
    {
        await using var factory = new GatehouseFactory(s =>
        {
            s["Gatehouse:RateLimits:ProviderNotificationRequestsPerSecond"] = "1";
            s["Gatehouse:RateLimits:ProviderNotificationBurst"] = "2";
        });
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();

        // Six callbacks at once from one address, both kinds: the bucket (2 tokens, 1 more per second) admits two, which
        // get as far as the endpoint (no such provider here); the other four are refused before it.
        var requests = Enumerable.Range(0, 3).SelectMany(_ => new[] { KakaoUnlinkAsync(client), AppleNotificationAsync(client) }).ToList();
        var responses = await Task.WhenAll(requests);
        try
        {
            Assert.Equal(2, responses.Count(r => r.StatusCode != HttpStatusCode.TooManyRequests));
            foreach (var admitted in responses.Where(r => r.StatusCode != HttpStatusCode.TooManyRequests))
            {
                await AssertProblemAsync(admitted, HttpStatusCode.BadRequest, "unsupported_provider");
            }

            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.Equal(4, limited.Count);
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

        // The credential endpoints have buckets of their own.
        using (var login = await client.PostAsJsonAsync("/auth/login", new { email = NewEmail("notify"), password = Password }, Ct))
        {
            await AssertProblemAsync(login, HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        // The bucket refills: a callback a little later is admitted.
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
        using var later = await KakaoUnlinkAsync(client);
        await AssertProblemAsync(later, HttpStatusCode.BadRequest, "unsupported_provider");
    }

    private static Task<HttpResponseMessage> KakaoUnlinkAsync(HttpClient client) =>
        client.GetAsync("/auth/social/kakao/unlink?app_id=1&user_id=2&referrer_type=UNLINK_FROM_APPS", Ct);

    private static Task<HttpResponseMessage> AppleNotificationAsync(HttpClient client) =>
        client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = "x.y.z" }, Ct);
}
