using System.Net;
using System.Net.Http.Json;
using Gatehouse.Browser.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests;

/// <summary>
/// The demo app's session over time, with 5-second access tokens (<see cref="BrowserFixture.DemoSettings"/>): silent
/// refresh across many expiries with no failed call, the manual mode's timer and "extend", two tabs sharing one
/// rotating refresh token, a logout reaching the other tab, and a replayed refresh token ending the session.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class DemoSessionTests(BrowserFixture fixture)
{
    private static readonly TimeSpan FourRefreshes = TimeSpan.FromSeconds(30);

    private Uri Demo => fixture.Demo.BaseUrl;

    [Fact]
    public async Task Across_many_expiries_the_app_keeps_calling_the_API_with_no_failed_call()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        await app.SignUpAsync(DemoApp.NewEmail("expiries"), "Steady");
        var network = NetworkLog.Attach(context);
        var firstToken = await app.AccessTokenAsync();

        await app.Page.GetByLabel("every second").CheckAsync();
        await DemoApp.WaitUntilAsync(async () => network.SuccessfulRefreshes >= 4 && await app.CounterAsync("api-calls") >= 12, FourRefreshes, "four refreshes and twelve API calls");
        await app.Page.GetByLabel("every second").UncheckAsync();

        Assert.Empty(network.Failures);
        Assert.Equal(0, await app.CounterAsync("api-failures"));
        Assert.All(network.Refreshes, status => Assert.Equal(200, status));
        Assert.NotEqual(firstToken, await app.AccessTokenAsync());
        Assert.True(await app.CounterAsync("refresh-count") >= 4);
        await Assertions.Expect(app.Page.Locator("#api-result")).ToContainTextAsync("accepted your access token");
        await Screenshots.SaveAsync(app.Page, "05-after-many-expiries");
    }

    [Fact]
    public async Task In_manual_mode_the_timer_runs_out_and_extend_brings_the_session_back()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        await app.SignUpAsync(DemoApp.NewEmail("manual"), "Manual");

        // Automatic mode: Extend refreshes at once, and the timer starts again from the top.
        var before = await app.ExpiresAtAsync();
        var network = NetworkLog.Attach(context);
        await app.ClickAsync("Extend");
        await DemoApp.WaitUntilAsync(async () => await app.ExpiresAtAsync() > before, TimeSpan.FromSeconds(5), "a later expiry after Extend");
        Assert.True(network.SuccessfulRefreshes >= 1);

        // Manual mode: nothing refreshes any more, so the token runs out (a refresh would have started it again).
        await app.Page.GetByLabel("Refresh automatically").UncheckAsync();
        var status = app.Page.Locator("#session-status");
        await Assertions.Expect(status).ToHaveTextAsync("manual");
        await Assertions.Expect(status).ToHaveTextAsync("expired", new() { Timeout = 7_000 });
        await Assertions.Expect(app.Page.Locator("#timer")).ToHaveTextAsync("0:00");
        var refreshesWhenExpired = network.SuccessfulRefreshes;
        await Screenshots.SaveAsync(app.Page, "06-manual-mode-expired");

        await app.ClickAsync("Extend");

        await Assertions.Expect(status).ToHaveTextAsync("manual");
        await Assertions.Expect(app.Page.Locator("#timer")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0:0[345]$"));
        await app.ClickAsync("Call the sample API");
        await Assertions.Expect(app.Page.Locator("#api-result")).ToContainTextAsync("accepted your access token");
        Assert.Equal(refreshesWhenExpired + 1, network.SuccessfulRefreshes);
    }

    [Fact]
    public async Task Two_tabs_stay_logged_in_on_one_refresh_at_a_time_and_a_logout_in_one_reaches_the_other()
    {
        await using var context = await fixture.NewContextAsync();
        var first = await DemoApp.OpenAsync(context, Demo);
        await first.SignUpAsync(DemoApp.NewEmail("tabs"), "Two Tabs");
        var second = await DemoApp.OpenAsync(context, Demo);
        await Assertions.Expect(second.Nickname).ToHaveTextAsync("Two Tabs");
        var network = NetworkLog.Attach(context);

        await first.Page.GetByLabel("every second").CheckAsync();
        await second.Page.GetByLabel("every second").CheckAsync();
        await DemoApp.WaitUntilAsync(async () => network.SuccessfulRefreshes >= 3 && await second.CounterAsync("api-calls") >= 9, FourRefreshes, "three refreshes while both tabs call the API");
        await first.Page.GetByLabel("every second").UncheckAsync();
        await second.Page.GetByLabel("every second").UncheckAsync();

        Assert.Empty(network.Failures);
        Assert.All(network.Refreshes, status => Assert.Equal(200, status));
        Assert.Equal(0, await first.CounterAsync("api-failures"));
        Assert.Equal(0, await second.CounterAsync("api-failures"));

        // One tab refreshed for both: each refresh reached the other tab, and both hold the same, current token.
        await DemoApp.WaitUntilAsync(async () => await first.AccessTokenAsync() == await second.AccessTokenAsync(), TimeSpan.FromSeconds(2), "both tabs to hold the same token");
        Assert.True(await first.CounterAsync("refresh-count") >= 3);
        Assert.True(await second.CounterAsync("refresh-count") >= 3);

        // Refreshes about every 4 s (80% of 5), one for both tabs: never two at once.
        Assert.True(network.ShortestGapBetweenRefreshes > TimeSpan.FromSeconds(2), $"two refreshes {network.ShortestGapBetweenRefreshes.TotalMilliseconds} ms apart");
        Assert.Contains("refreshed by another tab", await second.Page.Locator("#log").TextContentAsync() + await first.Page.Locator("#log").TextContentAsync(), StringComparison.Ordinal);

        await first.ClickAsync("Log out");

        await Assertions.Expect(second.Notice).ToHaveTextAsync("You were signed out in another tab.");
        await Assertions.Expect(second.SignedOut).ToBeVisibleAsync();
        await Assertions.Expect(first.SignedOut).ToBeVisibleAsync();
        Assert.Null(await second.AccessTokenAsync());
        await Screenshots.SaveAsync(second.Page, "07-signed-out-in-another-tab");
    }

    [Fact]
    public async Task A_replayed_old_refresh_token_ends_the_session_in_the_app_with_a_message()
    {
        await using var context = await fixture.NewContextAsync();
        var app = await DemoApp.OpenAsync(context, Demo);
        await app.SignUpAsync(DemoApp.NewEmail("replay"), "Replayed");
        var stolen = Assert.Single(await context.CookiesAsync(), c => c.Name == "gh_refresh").Value;
        var network = NetworkLog.Attach(context);

        // The app rotates the token (Extend), and the leeway for the old one (1 s here) passes.
        await app.ClickAsync("Extend");
        await DemoApp.WaitUntilAsync(() => Task.FromResult(network.SuccessfulRefreshes >= 1), TimeSpan.FromSeconds(5), "the app's refresh");
        Assert.NotEqual(stolen, Assert.Single(await context.CookiesAsync(), c => c.Name == "gh_refresh").Value);
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);

        // Someone replays the stolen token: Gatehouse revokes the whole session.
        using (var attacker = fixture.ApiClient())
        {
            using var replay = await attacker.PostAsJsonAsync(new Uri(Demo, "/auth/token"), new { refreshToken = stolen }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        }

        // The app finds out at its next silent refresh and says so.
        await Assertions.Expect(app.Notice).ToContainTextAsync("Please log in again");
        await Assertions.Expect(app.SignedOut).ToBeVisibleAsync();
        Assert.Contains(401, network.Refreshes);
        await Screenshots.SaveAsync(app.Page, "08-session-ended-after-replay");
    }
}
