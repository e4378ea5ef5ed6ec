using Gatehouse.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The README's first command, as a developer meets it: the demo page at / lists the development provider, and its
/// button goes through the whole server-redirect flow (the development sign-in page, Gatehouse's callback, the refresh
/// cookie) back to the demo, signed in; a sign-up that needs an email is completed on the demo page.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class DemoPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_development_sign_in_button_goes_round_the_provider_and_lands_signed_in()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var subject = "demo-" + Guid.NewGuid().ToString("N")[..8];
        await page.GotoAsync(fixture.Gatehouse.BaseUrl.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Development" }).ClickAsync();

        await page.GetByLabel("Who are you").FillAsync(subject);
        await page.GetByLabel("Display name").FillAsync("Demo Dev");
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(subject + "@example.test");
        await page.GetByLabel("Share my email").SetCheckedAsync(true);
        await page.GetByLabel("Email verified").SetCheckedAsync(true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.Locator("#nickname")).ToHaveTextAsync("Demo Dev", new() { Timeout = BrowserFixture.StepTimeoutMs });
        await Assertions.Expect(page.Locator("#identities")).ToContainTextAsync("development");
        Assert.DoesNotContain("#", page.Url, StringComparison.Ordinal);
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "gh_refresh");
        Assert.True(cookie.HttpOnly);
    }

    [Fact]
    public async Task Without_a_shared_email_the_demo_asks_for_one_and_completes_the_sign_up()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var subject = "demo-" + Guid.NewGuid().ToString("N")[..8];
        await page.GotoAsync(fixture.Gatehouse.BaseUrl.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Development" }).ClickAsync();
        await page.GetByLabel("Who are you").FillAsync(subject);
        await page.GetByLabel("Display name").FillAsync("Quiet Dev");
        await page.GetByLabel("Share my email").SetCheckedAsync(false);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        var form = page.Locator("#complete-signup");
        await Assertions.Expect(form).ToBeVisibleAsync(new() { Timeout = BrowserFixture.StepTimeoutMs });
        await Assertions.Expect(page.Locator("#complete-profile")).ToContainTextAsync("email");
        await form.GetByLabel("Email").FillAsync(subject + "@example.test");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Assertions.Expect(page.Locator("#nickname")).ToHaveTextAsync("Quiet Dev", new() { Timeout = BrowserFixture.StepTimeoutMs });
        await Assertions.Expect(page.Locator("#profile")).ToContainTextAsync(subject + "@example.test");
    }
}
