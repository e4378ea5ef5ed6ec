using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

public sealed class KakaoProviderTests(KakaoFake fixture) : ProviderTestBase(fixture.Server, "kakao"), IClassFixture<KakaoFake>
{
    [Fact]
    public async Task A_login_maps_kakao_account_and_asks_for_the_consent_items()
    {
        var provider = Provider();
        var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);
        var query = QueryHelpers.ParseQuery(url.Query);

        var profile = await LoginAsync(provider);

        Assert.Equal("profile_nickname profile_image account_email", query["scope"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(query.ContainsKey("nonce"));
        Assert.Equal(new ExternalProfile("kakao", "4117532219", "minji@kakao.test", true, "민지", "https://k.kakaocdn.test/img_640x640.jpg"), profile);
        Assert.Null(await provider.GetIssuerAsync(TestContext.Current.CancellationToken));
        Assert.Equal("client_secret_post", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task A_user_who_shares_no_email_has_none()
    {
        Fake.NextUser = FakeUser.For(FakeProviderKind.Kakao) with { Email = null };

        var profile = await LoginAsync(Provider());

        Assert.Null(profile.Email);
        Assert.False(profile.EmailVerified);
        Assert.Equal("4117532219", profile.Subject);
    }

    [Fact]
    public async Task An_address_kakao_marks_invalid_is_not_used_and_an_unverified_one_is_not_verified()
    {
        Fake.NextUser = FakeUser.For(FakeProviderKind.Kakao) with { EmailValid = false };
        Assert.Null((await LoginAsync(Provider())).Email);

        Fake.NextUser = FakeUser.For(FakeProviderKind.Kakao) with { EmailVerified = false };
        var unverified = await LoginAsync(Provider());
        Assert.Equal("minji@kakao.test", unverified.Email);
        Assert.False(unverified.EmailVerified);
    }

    [Fact]
    public async Task The_client_secret_is_optional()
    {
        Fake.RequireClientSecret = false;

        var profile = await LoginAsync(Provider(s => s.Remove("Gatehouse:Social:Providers:kakao:ClientSecret")));

        Assert.Equal("4117532219", profile.Subject);
        Assert.Equal("none", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task A_wrong_pkce_verifier_is_refused_as_invalid_grant()
    {
        var provider = Provider();
        var (attempt, callback) = await AuthorizeAsync(provider);

        var error = await Assert.ThrowsAsync<SocialProviderException>(() => provider.RedeemAsync(attempt.Redemption(callback, verifier: LoginAttempt.Random()), TestContext.Current.CancellationToken));

        Assert.Equal(OAuthErrors.InvalidGrant, error.Error);
        Assert.Equal(OAuthErrors.InvalidGrant, error.ProviderError);
    }

    [Fact]
    public async Task In_openid_connect_mode_the_id_token_is_validated_and_the_user_is_still_read()
    {
        Fake.KakaoOpenIdConnect = true;
        try
        {
            var provider = Provider();
            var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);

            var profile = await LoginAsync(provider);

            Assert.StartsWith("openid ", QueryHelpers.ParseQuery(url.Query)["scope"].ToString(), StringComparison.Ordinal);
            Assert.True(QueryHelpers.ParseQuery(url.Query).ContainsKey("nonce"));
            Assert.Equal(Fake.Issuer, await provider.GetIssuerAsync(TestContext.Current.CancellationToken));
            Assert.Equal("4117532219", profile.Subject);
            Assert.Equal(1, Fake.Calls(FakeEndpoint.UserInfo));

            Fake.Tampering = IdTokenTampering.WrongNonce;
            Assert.Equal(SocialErrors.InvalidIdToken, (await LoginFailsAsync(provider)).Error);
        }
        finally
        {
            Fake.KakaoOpenIdConnect = false;
        }
    }
}
