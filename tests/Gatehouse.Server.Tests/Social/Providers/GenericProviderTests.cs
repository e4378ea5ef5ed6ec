using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>Kind <c>oidc</c>: any OpenID Connect provider, by issuer.</summary>
public sealed class OpenIdConnectProviderTests(OpenIdConnectFake fixture) : ProviderTestBase(fixture.Server, "corp"), IClassFixture<OpenIdConnectFake>
{
    [Fact]
    public async Task A_login_completes_the_id_token_with_userinfo_and_authenticates_with_basic()
    {
        var provider = Provider();

        var profile = await LoginAsync(provider);

        Assert.Equal(new ExternalProfile("corp", "oidc-user-1", "grace@oidc.test", true, "Grace Hopper", "https://oidc.test/grace.png"), profile);
        Assert.Equal("client_secret_basic", Fake.LastClientAuthentication);
        Assert.Equal(1, Fake.Calls(FakeEndpoint.UserInfo));
        Assert.Equal("corp", provider.DisplayName);
    }

    [Fact]
    public async Task A_provider_that_offers_only_client_secret_post_gets_post()
    {
        Fake.TokenEndpointAuthMethods = ["client_secret_post"];

        await LoginAsync(Provider());

        Assert.Equal("client_secret_post", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task The_configured_method_wins_over_discovery()
    {
        await LoginAsync(Provider(s => s["Gatehouse:Social:Providers:corp:TokenEndpointAuthMethod"] = "client_secret_post"));

        Assert.Equal("client_secret_post", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task The_issuer_the_authorization_response_names_is_the_discovered_one()
    {
        Fake.SendIssuerParameter = true;
        var provider = Provider();

        var (_, callback) = await AuthorizeAsync(provider);

        Assert.Equal(await provider.GetIssuerAsync(TestContext.Current.CancellationToken), callback.Issuer);
    }
}

/// <summary>Kind <c>oauth2</c>: endpoints and JSON paths.</summary>
public sealed class OAuth2ProviderTests(OAuth2Fake fixture) : ProviderTestBase(fixture.Server, "acme"), IClassFixture<OAuth2Fake>
{
    [Fact]
    public async Task A_login_reads_the_configured_json_paths_and_a_numeric_id_as_text()
    {
        var provider = Provider();
        var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);

        var profile = await LoginAsync(provider);

        Assert.Equal(new ExternalProfile("acme", "9007199254", "linus@oauth2.test", true, "Linus", "https://oauth2.test/linus.png"), profile);
        Assert.Null(await provider.GetIssuerAsync(TestContext.Current.CancellationToken));
        Assert.False(QueryHelpers.ParseQuery(url.Query).ContainsKey("nonce"));
        Assert.Equal("client_secret_post", Fake.LastClientAuthentication);
    }

    [Fact]
    public async Task A_user_without_the_id_at_its_path_is_a_provider_error()
    {
        var error = await LoginFailsAsync(Provider(s => s["Gatehouse:Social:Providers:acme:IdPath"] = "data.uuid"));

        Assert.Equal(SocialErrors.ProviderError, error.Error);
        Assert.Contains("data.uuid", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>The <c>development</c> preset: Gatehouse's own provider, at paths relative to Gatehouse:Tokens:Issuer.</summary>
public sealed class DevelopmentProviderTests(DevelopmentFake fixture) : ProviderTestBase(fixture.Server, "development"), IClassFixture<DevelopmentFake>
{
    [Fact]
    public async Task Relative_endpoints_resolve_against_the_gatehouse_issuer_and_the_client_needs_no_secret()
    {
        var provider = Provider(s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("Gatehouse:Social:Providers:development:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            s["Gatehouse:Social:Providers:development:Enabled"] = "true";
            s["Gatehouse:Tokens:Issuer"] = Fake.Issuer;
        });

        var url = await provider.BuildAuthorizationUrlAsync(LoginAttempt.New().Parameters, TestContext.Current.CancellationToken);
        var profile = await LoginAsync(provider);

        Assert.StartsWith(Fake.Issuer + "/dev/oauth/authorize?", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("gatehouse-dev", QueryHelpers.ParseQuery(url.Query)["client_id"]);
        Assert.Equal(new ExternalProfile("development", "dev-user", "dev@example.test", true, "Dev User", null), profile);
        Assert.Equal("none", Fake.LastClientAuthentication);
    }
}
