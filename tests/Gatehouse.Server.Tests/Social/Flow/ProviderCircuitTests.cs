using System.Net;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>
/// A provider that keeps failing, as the frontend sees it: once its host's circuit is open, a login with it answers at
/// once with 502 <c>provider_error</c> and a <c>Retry-After</c>, without calling the provider.
/// </summary>
public sealed class ProviderCircuitTests(ProviderCircuitSocialFlowFixture fixture) : IClassFixture<ProviderCircuitSocialFlowFixture>
{
    [Fact]
    public async Task A_login_while_the_providers_circuit_is_open_is_502_with_retry_after_and_no_call()
    {
        fixture.Kakao.Fault(FakeEndpoint.Token, FakeFault.ServerError);
        using var client = fixture.Factory.CreateApiClient();

        // Two failed code exchanges open the circuit of Kakao's token host.
        for (var i = 0; i < 2; i++)
        {
            using var failed = await SocialFlowFixture.HandOffAsync(client, "kakao");
            await AssertProblemAsync(failed, HttpStatusCode.BadGateway, "provider_error");
            Assert.False(failed.Headers.Contains("Retry-After"));
        }

        using var refused = await SocialFlowFixture.HandOffAsync(client, "kakao");

        var problem = await AssertProblemAsync(refused, HttpStatusCode.BadGateway, "provider_error");
        Assert.Contains("failed too often lately", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 30);
        Assert.Equal(2, fixture.Kakao.Calls(FakeEndpoint.Token));
    }
}
