using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

public sealed class NaverProviderTests(NaverFake fixture) : ProviderTestBase(fixture.Server, "naver"), IClassFixture<NaverFake>
{
    [Fact]
    public async Task A_login_maps_the_response_object_and_takes_no_address_as_verified()
    {
        var profile = await LoginAsync(Provider());

        Assert.Equal(new ExternalProfile("naver", "hXn1n2Y8H6Vc0t7S3gZ5YfE1pQ9bL0dKjR3mN4oP5q", "minji@naver.test", false, "민지", "https://phinf.pstatic.test/profile.png"), profile);
    }

    [Fact]
    public async Task The_token_request_carries_the_state_as_naver_documents()
    {
        var provider = Provider();
        var (attempt, callback) = await AuthorizeAsync(provider);

        await provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken);

        Assert.Equal(attempt.State, Fake.LastTokenRequest["state"]);
    }

    [Fact]
    public async Task A_resultcode_other_than_00_is_a_provider_error_with_the_code()
    {
        Fake.UserInfoError = "024";

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("024", error.ProviderError);
    }

    [Fact]
    public async Task A_replayed_code_answered_with_http_200_is_invalid_grant()
    {
        var error = await ReplayFailsAsync(Provider());

        Assert.Equal(OAuthErrors.InvalidGrant, error.Error);
        Assert.Equal("invalid_request", error.ProviderError);
    }

    [Fact]
    public async Task Another_error_answered_with_http_200_is_a_provider_error()
    {
        Fake.TokenError = "server_error";

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("server_error", error.ProviderError);
    }
}
