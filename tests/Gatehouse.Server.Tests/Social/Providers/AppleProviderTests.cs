using System.Security.Cryptography;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>Sign in with Apple: form_post, a client secret signed with the .p8 key, and a name sent only once.</summary>
public sealed class AppleProviderTests(AppleFake fixture) : ProviderTestBase(fixture.Server, "apple"), IClassFixture<AppleFake>
{
    [Fact]
    public async Task The_authorization_asks_for_a_form_post_with_name_and_email()
    {
        var provider = Provider();

        var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);
        var query = QueryHelpers.ParseQuery(url.Query);

        Assert.True(provider.UsesFormPost);
        Assert.Equal("form_post", query["response_mode"]);
        Assert.Equal("name email", query["scope"]);
    }

    [Fact]
    public async Task The_first_login_has_the_name_from_the_form_and_the_next_one_does_not()
    {
        var provider = Provider();

        var (attempt, callback) = await AuthorizeAsync(provider);
        var first = (await provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken)).Profile;
        var (nextAttempt, nextCallback) = await AuthorizeAsync(provider);
        var next = (await provider.RedeemAsync(nextAttempt.Redemption(nextCallback), TestContext.Current.CancellationToken)).Profile;

        Assert.True(callback.FormPost);
        Assert.Equal(new Uri(LoginAttempt.DefaultRedirectUri), callback.RedirectUri);
        Assert.NotNull(callback.User);
        Assert.Equal(new ExternalProfile("apple", "001234.abcdef0123456789abcdef0123456789.0123", "x7k2pq@privaterelay.appleid.test", true, "Jane Appleseed", null), first);
        Assert.Null(nextCallback.User);
        Assert.Null(next.Name);
        Assert.Equal(first.Subject, next.Subject);
    }

    [Fact]
    public async Task The_client_secret_is_a_jwt_the_provider_verifies_with_the_public_key()
    {
        await LoginAsync(Provider());

        Assert.Equal(1, Fake.VerifiedClientSecrets);
        Assert.Equal("client_secret_post", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task A_client_secret_signed_with_another_key_is_refused()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await LoginFailsAsync(Provider(s => s["Gatehouse:Social:Providers:apple:PrivateKey"] = other.ExportPkcs8PrivateKeyPem()));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Equal("invalid_client", error.ProviderError);
        Assert.Equal(0, Fake.VerifiedClientSecrets);
    }

    [Fact]
    public async Task A_mangled_user_field_costs_the_name_only()
    {
        var provider = Provider();
        var (attempt, callback) = await AuthorizeAsync(provider);

        var profile = (await provider.RedeemAsync(attempt.Redemption(callback) with { FormUser = "{\"name\": " }, TestContext.Current.CancellationToken)).Profile;

        Assert.Null(profile.Name);
        Assert.Equal("x7k2pq@privaterelay.appleid.test", profile.Email);
    }

    [Fact]
    public async Task A_cancelled_authorization_comes_back_as_a_form_post_error()
    {
        Fake.DenyNextAuthorization = true;

        var url = await Provider().BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);
        var callback = await FakeProviderServer.AuthorizeAsync(url);

        Assert.True(callback.FormPost);
        Assert.Equal("user_cancelled_authorize", callback.Error);
        Assert.Null(callback.Code);
    }
}
