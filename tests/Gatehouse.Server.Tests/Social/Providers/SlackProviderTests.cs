using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>Sign in with Slack: OpenID Connect, with failures as HTTP 200 <c>{"ok": false, "error": …}</c>.</summary>
public sealed class SlackProviderTests(SlackFake fixture) : ProviderTestBase(fixture.Server, "slack"), IClassFixture<SlackFake>
{
    [Fact]
    public async Task A_login_maps_the_id_token()
    {
        var profile = await LoginAsync(Provider());

        Assert.Equal(new ExternalProfile("slack", "U0R7JM", "krane@slack.test", true, "krane", "https://secure.gravatar.test/avatar/krane.jpg"), profile);
    }

    [Fact]
    public async Task A_used_code_is_invalid_code_and_so_invalid_grant()
    {
        var error = await ReplayFailsAsync(Provider());

        Assert.Equal(OAuthErrors.InvalidGrant, error.Error);
        Assert.Equal("invalid_code", error.ProviderError);
    }

    [Fact]
    public async Task Another_ok_false_at_the_token_endpoint_is_a_provider_error_with_slacks_code()
    {
        Fake.TokenError = "invalid_client_id";

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("invalid_client_id", error.ProviderError);
    }

    [Fact]
    public async Task Ok_false_at_userinfo_is_a_provider_error_with_slacks_code()
    {
        // Without an email in the id token, userinfo is asked.
        Fake.NextUser = FakeUser.For(FakeProviderKind.Slack) with { Email = null };
        Fake.UserInfoError = "invalid_auth";

        var error = await LoginFailsAsync(Provider());

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("invalid_auth", error.ProviderError);
        Assert.Equal(1, Fake.Calls(FakeEndpoint.UserInfo));
    }
}
