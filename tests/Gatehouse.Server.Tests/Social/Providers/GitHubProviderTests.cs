using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

public sealed class GitHubProviderTests(GitHubFake fixture) : ProviderTestBase(fixture.Server, "github"), IClassFixture<GitHubFake>
{
    [Fact]
    public async Task A_login_takes_the_primary_verified_address_from_user_emails()
    {
        var provider = Provider();
        var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);

        var profile = await LoginAsync(provider);

        Assert.Equal("read:user user:email", QueryHelpers.ParseQuery(url.Query)["scope"]);
        Assert.Equal(new ExternalProfile("github", "583231", "octocat@github.test", true, "The Octocat", "https://avatars.githubusercontent.test/u/583231"), profile);
        Assert.Equal(1, Fake.Calls(FakeEndpoint.Emails));
    }

    [Fact]
    public async Task A_hidden_public_address_is_still_found_in_user_emails()
    {
        Fake.NextUser = FakeUser.For(FakeProviderKind.GitHub) with { EmailIsPublic = false, Name = null };

        var profile = await LoginAsync(Provider());

        Assert.Equal("octocat@github.test", profile.Email);
        Assert.True(profile.EmailVerified);
        Assert.Equal("octocat", profile.Name);
    }

    [Fact]
    public async Task An_unverified_primary_address_is_not_taken_as_verified()
    {
        Fake.NextUser = FakeUser.For(FakeProviderKind.GitHub) with { EmailVerified = false };

        var profile = await LoginAsync(Provider());

        Assert.Equal("octocat@github.test", profile.Email);
        Assert.False(profile.EmailVerified);
    }

    [Fact]
    public async Task A_bad_code_answered_with_http_200_is_invalid_grant()
    {
        var provider = Provider();
        var (attempt, callback) = await AuthorizeAsync(provider);

        var error = await Assert.ThrowsAsync<SocialProviderException>(() => provider.RedeemAsync(attempt.Redemption(callback) with { Code = "not-a-code" }, TestContext.Current.CancellationToken));

        Assert.Equal(OAuthErrors.InvalidGrant, error.Error);
        Assert.Equal("bad_verification_code", error.ProviderError);
    }

    [Fact]
    public async Task Wrong_client_credentials_are_a_provider_error_not_the_members_fault()
    {
        var error = await LoginFailsAsync(Provider(s => s["Gatehouse:Social:Providers:github:ClientSecret"] = "wrong"));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("incorrect_client_credentials", error.ProviderError);
    }
}
