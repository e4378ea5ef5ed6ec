using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The demo app's journeys, in Chromium, as a person takes them: sign up, log in with a password, the development
/// provider in both flows (sign-up completion included), the profile, the sample API through <c>client.fetch</c>, the
/// sessions list and revoking one, logging out, logging out everywhere, and withdrawing. Gatehouse issues 5-second
/// access tokens here (<see cref="BrowserFixture.DemoSettings"/>), so each journey also crosses expiries.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class DemoAppTests(BrowserFixture fixture)
{
    private Uri Demo => fixture.Demo.BaseUrl;

    [Fact]
    public async Task Signing_up_shows_the_profile_and_the_sample_API_answers_through_client_fetch()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();
        await Screenshots.SaveAsync(app.Page, "01-signed-out");
        var email = DemoApp.NewEmail("signup");

        await app.SignUpAsync(email, "Ada");

        await Assertions.Expect(app.Page.Locator("#profile")).ToContainTextAsync(email);
        await Assertions.Expect(app.Page.Locator("#sessions li")).ToHaveCountAsync(1);
        await Assertions.Expect(app.Page.Locator("#sessions")).ToContainTextAsync("this browser");
        await Assertions.Expect(app.Page.Locator("#timer")).ToHaveTextAsync(DemoApp.TimerText());
        await app.ClickAsync("Call the sample API");
        await Assertions.Expect(app.Page.Locator("#api-result")).ToContainTextAsync("the sample API accepted your access token");
        Assert.Equal(0, await app.CounterAsync("api-failures"));
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "gh_refresh");
        Assert.True(cookie.HttpOnly);
        Assert.Equal("/auth", cookie.Path);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        await Screenshots.SaveAsync(app.Page, "02-signed-in");

        // The page loaded with an #anchor of its own is no social return: the session is picked up from the cookie.
        await app.Page.EvaluateAsync("() => { location.hash = 'profile'; }");
        await app.Page.ReloadAsync();
        await Assertions.Expect(app.Nickname).ToHaveTextAsync("Ada");
        await Assertions.Expect(app.Notice).Not.ToContainTextAsync("Social login failed");
    }

    [Fact]
    public async Task Logging_out_and_back_in_with_the_password()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        var email = DemoApp.NewEmail("login");
        await app.SignUpAsync(email, "Grace");

        await app.ClickAsync("Log out");

        await Assertions.Expect(app.Notice).ToHaveTextAsync("You have logged out.");
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "gh_refresh");
        await app.GotoAsync();
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();

        var form = app.Page.Locator("#login");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByLabel("Password").FillAsync("not the password");
        await form.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(app.Notice).ToContainTextAsync("invalid_credentials");

        await app.LogInAsync(email, "Grace");
        await app.GotoAsync();
        await Assertions.Expect(app.Nickname).ToHaveTextAsync("Grace");
    }

    [Fact]
    public async Task The_development_provider_in_the_server_redirect_flow_lands_signed_in()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        var subject = "redirect-" + Guid.NewGuid().ToString("N")[..8];

        await app.ClickAsync("Development sign-in");
        await app.SignInAtDevelopmentProviderAsync(subject, "Redirect Dev", subject + "@example.test");

        await Assertions.Expect(app.Nickname).ToHaveTextAsync("Redirect Dev");
        await Assertions.Expect(app.Page.Locator("#identities")).ToContainTextAsync("development");
        Assert.DoesNotContain("#", app.Page.Url, StringComparison.Ordinal);
        Assert.Contains(await context.CookiesAsync(), c => c.Name == "gh_refresh" && c.HttpOnly);

        // Its only way in: unlinking it is refused, and the identity stays.
        await app.Page.Locator("#identities button[data-provider=development]").ClickAsync();
        await Assertions.Expect(app.Page.Locator("#log")).ToContainTextAsync("unlink: last_login_method");
        await Assertions.Expect(app.Page.Locator("#identities")).ToContainTextAsync("development");
    }

    [Fact]
    public async Task The_development_provider_in_the_server_redirect_flow_completes_a_sign_up_without_a_shared_email()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        var subject = "redirect-" + Guid.NewGuid().ToString("N")[..8];

        await app.ClickAsync("Development sign-in");
        await app.SignInAtDevelopmentProviderAsync(subject, "Quiet Dev", email: null);

        await CompleteSignupAsync(app, subject + "@example.test", "Quiet Dev");
    }

    [Fact]
    public async Task The_development_provider_in_the_hand_off_flow_lands_signed_in_and_completes_a_sign_up()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        var subject = "handoff-" + Guid.NewGuid().ToString("N")[..8];

        // The page receives the code (…/?code=…&state=…) and passes it to POST /auth/login.
        await app.ClickAsync("Development sign-in · hand-off");
        await app.SignInAtDevelopmentProviderAsync(subject, "Hand-off Dev", subject + "@example.test");
        await Assertions.Expect(app.Nickname).ToHaveTextAsync("Hand-off Dev");
        Assert.DoesNotContain("code=", app.Page.Url, StringComparison.Ordinal);
        await app.ClickAsync("Log out");
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();

        // Again as someone who keeps the email to themselves: the demo asks for one.
        var quiet = "handoff-" + Guid.NewGuid().ToString("N")[..8];
        await app.ClickAsync("Development sign-in · hand-off");
        await app.SignInAtDevelopmentProviderAsync(quiet, "Quiet Hand-off", email: null);
        await CompleteSignupAsync(app, quiet + "@example.test", "Quiet Hand-off");
    }

    [Fact]
    public async Task Sessions_are_listed_and_revoking_one_ends_it_in_the_other_browser()
    {
        await using var first = await fixture.NewContextAsync();
        await using var second = await fixture.NewContextAsync();
        var email = DemoApp.NewEmail("sessions");
        var here = await DemoApp.OpenAsync(first, Demo);
        await here.SignUpAsync(email, "Two Browsers");
        var there = await DemoApp.OpenAsync(second, Demo);
        await there.LogInAsync(email, "Two Browsers");

        await here.GotoAsync();
        await Assertions.Expect(here.Page.Locator("#sessions li")).ToHaveCountAsync(2);
        await Screenshots.SaveAsync(here.Page, "03-sessions");
        await here.Page.Locator("#sessions li[data-current=false]").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        await Assertions.Expect(here.Page.Locator("#sessions li")).ToHaveCountAsync(1);
        await Assertions.Expect(here.Page.Locator("#sessions li[data-current=true]")).ToHaveCountAsync(1);
        // The other browser learns at its next refresh (within 4 s: 80% of 5).
        await Assertions.Expect(there.Notice).ToContainTextAsync("Please log in again");
        await Assertions.Expect(there.SignedOut).ToBeVisibleAsync();
        await Assertions.Expect(here.Nickname).ToHaveTextAsync("Two Browsers");
    }

    [Fact]
    public async Task Logging_out_everywhere_ends_the_session_in_every_browser()
    {
        await using var first = await fixture.NewContextAsync();
        await using var second = await fixture.NewContextAsync();
        var email = DemoApp.NewEmail("everywhere");
        var here = await DemoApp.OpenAsync(first, Demo);
        await here.SignUpAsync(email, "Everywhere");
        var there = await DemoApp.OpenAsync(second, Demo);
        await there.LogInAsync(email, "Everywhere");

        await here.ClickAsync("Log out everywhere");

        await Assertions.Expect(here.Notice).ToHaveTextAsync("You have logged out everywhere.");
        await Assertions.Expect(here.SignedOut).ToBeVisibleAsync();
        await Assertions.Expect(there.Notice).ToContainTextAsync("Please log in again");
        await Assertions.Expect(there.SignedOut).ToBeVisibleAsync();
        await here.GotoAsync();
        await Assertions.Expect(here.SignedOut).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_sample_API_answers_only_a_valid_access_token()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var api = fixture.ApiClient();
        var hello = new Uri(Demo, "/demo/api/hello");
        using var signup = await api.PostAsJsonAsync(
            new Uri(Demo, "/auth/signup"),
            new { email = DemoApp.NewEmail("api"), password = DemoApp.Password, nickname = "Api", refreshTokenDelivery = "body" },
            cancellationToken);
        var accessToken = (await signup.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString()!;

        Task<HttpResponseMessage> GetAsync(Uri url, string? bearer) =>
            api.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Authorization = bearer is null ? null : new("Bearer", bearer) } }, cancellationToken);

        using var anonymous = await GetAsync(hello, null);
        using var refused = await GetAsync(hello, accessToken[..^4] + (accessToken.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"));
        using var accepted = await GetAsync(hello, accessToken);
        using var me = await GetAsync(new Uri(Demo, "/members/me"), accessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = await accepted.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var member = await me.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.Equal(member.GetProperty("id").GetString(), body.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Withdrawing_deletes_the_account_and_signs_out()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        var email = DemoApp.NewEmail("withdraw");
        await app.SignUpAsync(email, "Leaving");

        var form = app.Page.Locator("#withdraw");
        await form.GetByLabel("Password").FillAsync(DemoApp.Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Withdraw my account" }).ClickAsync();

        await Assertions.Expect(app.Notice).ToHaveTextAsync("Your account has been withdrawn. Goodbye.");
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();
        var login = app.Page.Locator("#login");
        await login.GetByLabel("Email").FillAsync(email);
        await login.GetByLabel("Password").FillAsync(DemoApp.Password);
        await login.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(app.Notice).ToContainTextAsync("invalid_credentials");
    }

    private static async Task CompleteSignupAsync(DemoApp app, string email, string nickname)
    {
        var form = app.Page.Locator("#complete-signup");
        await Assertions.Expect(form).ToBeVisibleAsync();
        await Assertions.Expect(app.Page.Locator("#complete-profile")).ToContainTextAsync("email");
        await Assertions.Expect(app.SignedOut).ToBeHiddenAsync();
        await Screenshots.SaveAsync(app.Page, "04-complete-signup");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Assertions.Expect(app.Nickname).ToHaveTextAsync(nickname);
        await Assertions.Expect(app.Page.Locator("#profile")).ToContainTextAsync(email);
        await Assertions.Expect(form).ToBeHiddenAsync();
    }
}
