using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>Google: OpenID Connect by discovery; the profile is the id token's, validated claim by claim.</summary>
public sealed class GoogleProviderTests(GoogleFake fixture) : ProviderTestBase(fixture.Server, "google"), IClassFixture<GoogleFake>
{
    [Fact]
    public async Task A_login_takes_the_profile_from_the_id_token_without_calling_userinfo()
    {
        var provider = Provider();
        var attempt = LoginAttempt.New();
        var url = await provider.BuildAuthorizationUrlAsync(attempt.Parameters, TestContext.Current.CancellationToken);
        var query = QueryHelpers.ParseQuery(url.Query);

        var profile = await LoginAsync(provider);

        Assert.StartsWith(Fake.Issuer + "/o/oauth2/v2/auth?", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("openid email profile", query["scope"]);
        Assert.Equal(attempt.Nonce, query["nonce"]);
        Assert.Equal(attempt.Challenge, query["code_challenge"]);
        Assert.Equal(new ExternalProfile("google", "110169484474386276334", "ada@gmail.test", true, "Ada Lovelace", "https://lh3.googleusercontent.test/a/photo"), profile);
        Assert.Equal(0, Fake.Calls(FakeEndpoint.UserInfo));
        Assert.Equal(Fake.Issuer, await provider.GetIssuerAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Discovery_and_keys_are_fetched_once_for_many_logins()
    {
        var provider = Provider();

        await LoginAsync(provider);
        await LoginAsync(provider);

        Assert.Equal(1, Fake.Calls(FakeEndpoint.Discovery));
        Assert.Equal(1, Fake.Calls(FakeEndpoint.Jwks));
    }

    [Theory]
    [InlineData(IdTokenTampering.AlgNone)]
    [InlineData(IdTokenTampering.BadSignature)]
    [InlineData(IdTokenTampering.SymmetricAlgorithm)]
    [InlineData(IdTokenTampering.ForeignKey)]
    [InlineData(IdTokenTampering.WrongAudience)]
    [InlineData(IdTokenTampering.WrongIssuer)]
    [InlineData(IdTokenTampering.Expired)]
    [InlineData(IdTokenTampering.WrongNonce)]
    public async Task A_tampered_id_token_is_refused(IdTokenTampering tampering)
    {
        var provider = Provider();
        await LoginAsync(provider);
        Fake.Tampering = tampering;

        var error = await LoginFailsAsync(provider);

        Assert.Equal(SocialErrors.InvalidIdToken, error.Error);
    }

    [Fact]
    public async Task A_key_rotated_in_after_the_keys_were_fetched_is_found_by_fetching_them_again()
    {
        var provider = Provider();
        await LoginAsync(provider);
        Fake.RotateSigningKey();

        var profile = await LoginAsync(provider);

        Assert.Equal("110169484474386276334", profile.Subject);
        Assert.Equal(2, Fake.Calls(FakeEndpoint.Jwks));
    }

    [Fact]
    public async Task A_discovery_document_that_cannot_be_had_is_a_provider_error()
    {
        Fake.Fault(FakeEndpoint.Discovery, FakeFault.ServerError);

        var error = await Assert.ThrowsAsync<SocialProviderException>(async () => await Provider().BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal(3, Fake.Calls(FakeEndpoint.Discovery));
    }

    [Fact]
    public async Task A_discovery_document_for_another_issuer_is_refused()
    {
        var error = await Assert.ThrowsAsync<SocialProviderException>(async () =>
            await Provider(s => s["Gatehouse:Social:Providers:google:Issuer"] = Fake.Issuer.Replace("127.0.0.1", "localhost", StringComparison.Ordinal))
                .BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("issuer", error.Message, StringComparison.Ordinal);
    }
}
