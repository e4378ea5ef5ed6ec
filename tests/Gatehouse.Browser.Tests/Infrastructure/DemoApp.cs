using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>The demo app (demo/, served at / by <see cref="BrowserFixture.Demo"/>) in one tab, driven as a person would.</summary>
public sealed partial class DemoApp(IPage page, Uri baseUrl)
{
    public const string Password = "correct horse battery staple";

    public IPage Page { get; } = page;

    public ILocator Notice => Page.Locator("#notice");

    public ILocator Nickname => Page.Locator("#nickname");

    public ILocator SignedIn => Page.Locator("#signed-in");

    public ILocator SignedOut => Page.Locator("#signed-out");

    public static async Task<DemoApp> OpenAsync(IBrowserContext context, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(context);
        var app = new DemoApp(await context.NewPageAsync(), baseUrl);
        await app.GotoAsync();
        return app;
    }

    public static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}@example.test";

    /// <summary>Loads the demo and waits until it knows whether there is a session (one of its two views shows).</summary>
    public async Task GotoAsync()
    {
        await Page.GotoAsync(baseUrl.ToString());
        await Page.Locator("#signed-in:visible, #signed-out:visible").WaitForAsync();
    }

    public async Task SignUpAsync(string email, string nickname)
    {
        var form = Page.Locator("#signup");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByLabel("Password").FillAsync(Password);
        await form.GetByLabel("Nickname").FillAsync(nickname);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Assertions.Expect(Nickname).ToHaveTextAsync(nickname);
    }

    public async Task LogInAsync(string email, string expectedNickname)
    {
        var form = Page.Locator("#login");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByLabel("Password").FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(Nickname).ToHaveTextAsync(expectedNickname);
    }

    /// <summary>Fills the development provider's sign-in page (the browser is on it).</summary>
    public async Task SignInAtDevelopmentProviderAsync(string subject, string name, string? email)
    {
        await Assertions.Expect(Page).ToHaveTitleAsync("Development sign-in");
        await Page.GetByLabel("Who are you").FillAsync(subject);
        await Page.GetByLabel("Display name").FillAsync(name);
        await Page.GetByLabel("Email", new() { Exact = true }).FillAsync(email ?? "");
        await Page.GetByLabel("Share my email").SetCheckedAsync(email is not null);
        await Page.GetByLabel("Email verified").SetCheckedAsync(email is not null);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    public Task ClickAsync(string name) => Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true }).ClickAsync();

    /// <summary>The access token's expiry as the client holds it (epoch ms), read through the page's <c>window.gatehouse</c>.</summary>
    public Task<double?> ExpiresAtAsync() => Page.EvaluateAsync<double?>("() => window.gatehouse.expiresAt");

    public Task<string?> AccessTokenAsync() => Page.EvaluateAsync<string?>("() => window.gatehouse.session.accessToken");

    public async Task<int> CounterAsync(string id) => int.Parse((await Page.Locator("#" + id).TextContentAsync())!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits (polling the page, no fixed sleep) until <paramref name="condition"/> holds, up to <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [GeneratedRegex("^\\d+:\\d\\d$")]
    public static partial Regex TimerText();
}
