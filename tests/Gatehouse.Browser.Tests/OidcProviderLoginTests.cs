using System.Text.RegularExpressions;
using Gatehouse.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The generic OpenID Connect kind against a real provider (panva's oidc-provider), through its real login and consent
/// pages in headless Chromium, in the server-redirect flow: Gatehouse's <c>/start</c> → the provider → Gatehouse's
/// callback (refresh cookie) → the frontend's <c>returnTo</c>, which gets its access token from <c>POST /auth/token</c>.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class OidcProviderLoginTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Logging_in_at_the_provider_returns_to_the_frontend_with_a_refresh_cookie_that_buys_an_access_token()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var login = NewLogin();

        var result = await LogInAsync(page, login);

        Assert.StartsWith(fixture.Frontend.Url("/done").ToString(), page.Url, StringComparison.Ordinal);
        Assert.Equal("signed_up", result.Text("fragment", "status"));
        Assert.Equal(200, result.Status("token"));
        var sub = result.Text("token", "sub");
        Assert.False(string.IsNullOrEmpty(sub));

        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "gh_refresh");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/auth", cookie.Path);

        var member = await fixture.MemberAsync(result.Text("token", "body", "accessToken")!);
        Assert.Equal(sub, member.Id);
        var identity = Assert.Single(member.Identities!, i => i.Provider == BrowserFixture.OidcProviderName);
        Assert.Equal(login + "@example.test", identity.Email);
        Assert.True(identity.EmailVerified);
    }

    [Fact]
    public async Task Logging_in_again_with_the_same_provider_account_finds_the_same_member()
    {
        var login = NewLogin();
        string? first;
        await using (var context = await fixture.NewContextAsync())
        {
            first = (await LogInAsync(await context.NewPageAsync(), login)).Text("token", "sub");
        }

        // A new browser: no session at the provider or at Gatehouse, so the provider asks again.
        await using var again = await fixture.NewContextAsync();
        var second = await LogInAsync(await again.NewPageAsync(), login);

        Assert.False(string.IsNullOrEmpty(first));
        Assert.Equal("logged_in", second.Text("fragment", "status"));
        Assert.Equal(first, second.Text("token", "sub"));
    }

    [Fact]
    public async Task Cancelling_at_the_provider_returns_to_the_frontend_with_an_error_and_no_session()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();

        await StartAsync(page);
        await SignInAtProviderAsync(page, NewLogin());
        await page.Locator("h1", new() { HasText = "Authorize" }).WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "[ Cancel ]" }).ClickAsync();
        var result = await PageResult.ReadAsync(page);

        Assert.StartsWith(fixture.Frontend.Url("/done").ToString(), page.Url, StringComparison.Ordinal);
        Assert.Equal("login_cancelled", result.Text("fragment", "error"));
        Assert.NotEqual(200, result.Status("token"));
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "gh_refresh");
    }

    private static string NewLogin() => "user-" + Guid.NewGuid().ToString("N")[..10];

    private async Task StartAsync(IPage page)
    {
        var returnTo = fixture.Frontend.Url("/done").ToString();
        await page.GotoAsync(new Uri(fixture.Gatehouse.BaseUrl, $"/auth/social/{BrowserFixture.OidcProviderName}/start?returnTo={Uri.EscapeDataString(returnTo)}").ToString());
    }

    /// <summary>The provider's real login page: any login, any password.</summary>
    private async Task SignInAtProviderAsync(IPage page, string login)
    {
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(fixture.OidcProvider.Issuer.GetLeftPart(UriPartial.Authority)) + "/interaction/"));
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any password will do");
        await page.ClickAsync("button[type=submit]");
    }

    /// <summary>Start, log in, consent; returns what the frontend's <c>/done</c> page reported.</summary>
    private async Task<System.Text.Json.JsonElement> LogInAsync(IPage page, string login)
    {
        await StartAsync(page);
        await SignInAtProviderAsync(page, login);
        await page.Locator("h1", new() { HasText = "Authorize" }).WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        return await PageResult.ReadAsync(page);
    }
}
