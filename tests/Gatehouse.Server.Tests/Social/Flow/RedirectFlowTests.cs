using System.Net;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>The server-redirect flow: start → provider → Gatehouse's callback → refresh cookie and 302 to returnTo.</summary>
public sealed class RedirectFlowTests : IClassFixture<SocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public RedirectFlowTests(SocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task Start_sets_a_browser_binding_cookie_and_the_callback_sets_the_refresh_cookie_and_lands_on_returnTo()
    {
        using var browser = _fixture.Factory.CreateBrowser();
        using var start = await browser.GetAsync("/auth/social/kakao/start?returnTo=" + Uri.EscapeDataString(SocialFlowFixture.Frontend + "/after?x=1"), Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith(_fixture.Kakao.Issuer, start.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        var binding = Assert.Single(start.Headers.GetValues("Set-Cookie"), c => c.StartsWith("gh_social=", StringComparison.Ordinal));
        Assert.Contains("httponly", binding, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/auth/social", binding, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", binding, StringComparison.OrdinalIgnoreCase);

        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location);
        Assert.Equal(GatehouseCallback("kakao"), callback.RedirectUri.AbsoluteUri);
        using var landing = await browser.GetAsync(PathAndQuery(callback), Ct);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        Assert.StartsWith(SocialFlowFixture.Frontend + "/after?x=1#", landing.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("signed_up", SocialFlowFixture.Fragment(landing)["status"]);
        AssertRefreshCookie(landing);

        // The frontend now asks for its access token with the cookie.
        using var token = await browser.PostAsync("/auth/token", null, Ct);
        await AssertTokenResponseAsync(token, HttpStatusCode.OK, refreshTokenInBody: false);
    }

    [Fact]
    public async Task A_callback_in_a_browser_that_did_not_start_the_login_is_refused_and_sets_no_session()
    {
        using var attacker = _fixture.Factory.CreateBrowser();
        using var start = await attacker.GetAsync("/auth/social/kakao/start", Ct);
        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location!);

        // The victim's browser (no gh_social cookie) is made to open the attacker's callback URL: login CSRF.
        using var victim = _fixture.Factory.CreateBrowser();
        using var landing = await victim.GetAsync(PathAndQuery(callback), Ct);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        Assert.Equal("invalid_state", SocialFlowFixture.Fragment(landing)["error"]);
        Assert.Null(FindRefreshCookie(landing));
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Theory]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("https:evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("https%3A%2F%2Fevil.example")]
    [InlineData("javascript:alert(document.cookie)")]
    [InlineData("https://app.example.test@evil.example/")]
    [InlineData("https://app.example.test:8443/")]
    [InlineData("http://app.example.test/")]
    [InlineData("https://app.example.test.evil.example/")]
    public async Task A_returnTo_off_the_allowed_origins_falls_back_to_the_safe_default(string returnTo)
    {
        using var browser = _fixture.Factory.CreateBrowser();
        using var start = await browser.GetAsync("/auth/social/kakao/start?returnTo=" + Uri.EscapeDataString(returnTo), Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location!);
        using var landing = await browser.GetAsync(PathAndQuery(callback), Ct);
        Assert.StartsWith(SocialFlowFixture.Frontend + "/#", landing.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_at_the_provider_lands_on_returnTo_with_login_cancelled_and_no_cookie()
    {
        _fixture.Kakao.DenyNextAuthorization = true;
        using var browser = _fixture.Factory.CreateBrowser();
        using var start = await browser.GetAsync("/auth/social/kakao/start?returnTo=" + Uri.EscapeDataString(SocialFlowFixture.Frontend + "/login"), Ct);
        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location!);
        using var landing = await browser.GetAsync(PathAndQuery(callback), Ct);
        Assert.StartsWith(SocialFlowFixture.Frontend + "/login#", landing.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("login_cancelled", SocialFlowFixture.Fragment(landing)["error"]);
        Assert.Null(FindRefreshCookie(landing));
    }

    [Fact]
    public async Task A_provider_failure_lands_with_provider_error_instead_of_a_500()
    {
        _fixture.Kakao.Fault(FakeEndpoint.Token, FakeFault.ServerError);
        using var browser = _fixture.Factory.CreateBrowser();
        using var start = await browser.GetAsync("/auth/social/kakao/start", Ct);
        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location!);
        using var landing = await browser.GetAsync(PathAndQuery(callback), Ct);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        Assert.Equal("provider_error", SocialFlowFixture.Fragment(landing)["error"]);
        Assert.Equal(1, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_hand_off_state_cannot_finish_at_the_callback()
    {
        using var browser = _fixture.Factory.CreateBrowser();
        var handOff = await SocialFlowFixture.AuthorizeAsync(browser, "kakao");
        using var landing = await browser.GetAsync($"/auth/social/kakao/callback?code={Uri.EscapeDataString(handOff.Code!)}&state={Uri.EscapeDataString(handOff.State!)}", Ct);
        Assert.Equal("invalid_state", SocialFlowFixture.Fragment(landing)["error"]);
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_callback_without_a_state_lands_with_invalid_state()
    {
        using var browser = _fixture.Factory.CreateBrowser();
        using var landing = await browser.GetAsync("/auth/social/kakao/callback?code=abc", Ct);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        Assert.Equal("invalid_state", SocialFlowFixture.Fragment(landing)["error"]);
    }

    private static string GatehouseCallback(string provider) => $"{Infrastructure.GatehouseFactory.Issuer}/auth/social/{provider}/callback";

    private static string PathAndQuery(AuthorizationCallback callback) =>
        callback.RedirectUri.AbsolutePath + "?" + string.Join('&', callback.Parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
}
