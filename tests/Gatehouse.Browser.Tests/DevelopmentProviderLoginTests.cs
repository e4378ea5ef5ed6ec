using System.Text.RegularExpressions;
using Gatehouse.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The development provider in Chromium, in the hand-off flow as a frontend runs it: the frontend asks Gatehouse for
/// the authorization URL, the developer fills the development sign-in page, the frontend's callback page posts the
/// code and state to <c>POST /auth/login</c>. Gatehouse requires an email here, so a developer who does not share one
/// completes the sign-up with <c>POST /auth/signup</c>.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class DevelopmentProviderLoginTests(BrowserFixture fixture)
{
    private const string Provider = BrowserFixture.DevelopmentProviderName;

    [Fact]
    public async Task A_developer_who_shares_an_email_is_signed_up_in_one_call_and_found_again_on_the_next_login()
    {
        var subject = NewSubject();
        var email = subject + "@example.test";
        string? firstSub;
        await using (var context = await fixture.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            var cspErrors = CollectCspErrors(page);
            await OpenSignInPageAsync(page);

            // The page's one inline style runs under its CSP nonce: styled, and nothing refused.
            Assert.Equal("10px", await page.EvaluateAsync<string>("getComputedStyle(document.querySelector('main')).borderTopLeftRadius"));
            Assert.Empty(cspErrors);

            var result = await SignInAsync(page, subject, "Ada Dev", email, share: true);

            Assert.Equal("true", result.Text("stateMatches"));
            Assert.Equal(201, result.Status("login"));
            firstSub = result.Text("login", "sub");
            Assert.False(string.IsNullOrEmpty(firstSub));
            var member = await fixture.MemberAsync(result.Text("login", "body", "accessToken")!);
            Assert.Equal(firstSub, member.Id);
            Assert.Equal(email, member.Email);
            Assert.Contains(member.Identities!, i => i.Provider == Provider);

            // The refresh cookie came with the login: the frontend can refresh.
            var refreshed = await PageResult.CallAsync(page, "/auth/token");
            Assert.Equal(200, refreshed.GetProperty("status").GetInt32());
            Assert.Equal(firstSub, refreshed.Text("sub"));
        }

        await using var again = await fixture.NewContextAsync();
        var second = await SignInAsync(await again.NewPageAsync(), subject, "Ada Dev", email, share: true, open: true);

        Assert.Equal(200, second.Status("login"));
        Assert.Equal(firstSub, second.Text("login", "sub"));
    }

    [Fact]
    public async Task A_developer_who_keeps_the_email_to_themselves_completes_the_sign_up_with_one()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var subject = NewSubject();

        var result = await SignInAsync(page, subject, "No Email", email: "", share: false, open: true);

        Assert.Equal(200, result.Status("login"));
        Assert.Equal("signup_required", result.Text("login", "body", "status"));
        Assert.Equal("[\"email\"]", result.Text("login", "body", "missing"));
        var signupToken = result.Text("login", "body", "signupToken");
        Assert.False(string.IsNullOrEmpty(signupToken));
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "gh_refresh");

        var email = subject + "@example.test";
        var signup = await PageResult.CallAsync(page, "/auth/signup", new { signupToken, nickname = "No Email", email });

        Assert.Equal(201, signup.GetProperty("status").GetInt32());
        var member = await fixture.MemberAsync(signup.Text("body", "accessToken")!);
        Assert.Equal(signup.Text("sub"), member.Id);
        Assert.Equal(email, member.Email);
        Assert.Contains(member.Identities!, i => i.Provider == Provider);
        Assert.Contains(await context.CookiesAsync(), c => c.Name == "gh_refresh");
    }

    [Fact]
    public async Task Cancel_on_the_sign_in_page_comes_back_as_access_denied_and_ends_the_login_as_cancelled()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenSignInPageAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        var result = await PageResult.ReadAsync(page);

        Assert.StartsWith(fixture.Frontend.Url("/callback").ToString(), page.Url, StringComparison.Ordinal);
        Assert.Equal("access_denied", result.Text("query", "error"));
        Assert.Equal("true", result.Text("stateMatches"));
        Assert.Equal(400, result.Status("login"));
        Assert.Equal("login_cancelled", result.Text("login", "body", "error"));
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "gh_refresh");
    }

    private static string NewSubject() => "dev-" + Guid.NewGuid().ToString("N")[..10];

    private static List<string> CollectCspErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(message.Text);
            }
        };
        return errors;
    }

    /// <summary>The frontend starts the hand-off flow; the browser lands on the development sign-in page.</summary>
    private async Task OpenSignInPageAsync(IPage page)
    {
        await page.GotoAsync(fixture.Frontend.Url("/start?provider=" + Provider).ToString());
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(fixture.Gatehouse.BaseUrl.GetLeftPart(UriPartial.Authority)) + "/dev/oauth/authorize\\?"));
        await Assertions.Expect(page).ToHaveTitleAsync("Development sign-in");
    }

    /// <summary>Fills the development sign-in page and returns what the frontend's <c>/callback</c> page reported.</summary>
    private async Task<System.Text.Json.JsonElement> SignInAsync(IPage page, string subject, string name, string email, bool share, bool open = false)
    {
        if (open)
        {
            await OpenSignInPageAsync(page);
        }

        await page.GetByLabel("Who are you").FillAsync(subject);
        await page.GetByLabel("Display name").FillAsync(name);
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Share my email").SetCheckedAsync(share);
        await page.GetByLabel("Email verified").SetCheckedAsync(share);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        return await PageResult.ReadAsync(page);
    }
}
