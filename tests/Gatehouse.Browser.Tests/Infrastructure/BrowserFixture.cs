using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>
/// Everything a browser test drives, started once for the collection, all on loopback: a tiny frontend, a real OpenID
/// provider (node), Gatehouse on Kestrel in Development (so the development provider is on) with that provider
/// configured as the generic <c>oidc</c> kind and email as a required field, and one headless Chromium. Each test
/// takes a fresh browser context: its own cookies, nothing shared with another test.
/// A second Gatehouse, <see cref="Demo"/>, serves the demo app with access tokens that live 5 seconds (see
/// <see cref="DemoSettings"/>), so every demo journey runs across token expiries.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Under the 10 s a test may take, so a stuck step fails with Playwright's message, not the runner's timeout.</summary>
    public const float StepTimeoutMs = 8_000;

    public const string OidcProviderName = "oidc";

    public const string DevelopmentProviderName = "development";

    private int _disposed;

    public FrontendHost Frontend { get; private set; } = null!;

    public OidcProviderProcess OidcProvider { get; private set; } = null!;

    public GatehouseKestrelHost Gatehouse { get; private set; } = null!;

    /// <summary>Gatehouse in Development with <see cref="DemoSettings"/>: its demo app at /, the development provider, its own SQLite file.</summary>
    public GatehouseKestrelHost Demo { get; private set; } = null!;

    /// <summary>
    /// The demo host's settings. Access tokens live 5 s with no clock skew allowed, so an expired token is refused at
    /// once and a journey of a few seconds crosses expiries; the reuse leeway is 1 s (the default is 10 s) so that the
    /// replay test waits one second past it, not ten. Email is a required field, so a development login that shares
    /// none completes its sign-up on the demo page.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> DemoSettings { get; } = new Dictionary<string, string?>
    {
        ["Gatehouse:Tokens:AccessTokenLifetime"] = "00:00:05",
        ["Gatehouse:Tokens:ClockSkew"] = "00:00:00",
        ["Gatehouse:Tokens:RefreshReuseLeeway"] = "00:00:01",
        [$"Gatehouse:Social:Providers:{DevelopmentProviderName}:Kind"] = "development",
        ["Gatehouse:Social:RequiredFields:0"] = "email",
    };

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var chromium = BrowserTestEnvironment.ChromiumPath;
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"Chromium is not at {chromium}: install Debian's chromium package (scripts/test.sh does) or set GATEHOUSE_TEST_CHROMIUM.");
        }

        Assertions.SetDefaultExpectTimeout(StepTimeoutMs);

        // Playwright's driver and Chromium start while the servers do.
        var browser = StartBrowserAsync(chromium);
        try
        {
            await StartServersAsync(cancellationToken);
            (Playwright, Browser) = await browser;
        }
        catch
        {
            // Whatever did start is stopped, Chromium included, before the failure is reported.
            if (Browser is null && await browser.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : default, TaskScheduler.Default) is ({ } playwright, { } started))
            {
                (Playwright, Browser) = (playwright, started);
            }

            await DisposeAsync();
            throw;
        }
    }

    private async Task StartServersAsync(CancellationToken cancellationToken)
    {
        Frontend = await FrontendHost.StartAsync(cancellationToken);
        var gatehouseUrl = new Uri($"http://127.0.0.1:{BrowserTestEnvironment.FreePort()}");
        OidcProvider = await OidcProviderProcess.StartAsync(
            "gatehouse-browser-tests",
            "browser-tests-secret-" + Guid.NewGuid().ToString("N"),
            new Uri(gatehouseUrl, $"/auth/social/{OidcProviderName}/callback"),
            cancellationToken);

        // Gatehouse's own origin too: its demo page (served at / in Development) is a frontend as well.
        Gatehouse = new GatehouseKestrelHost(gatehouseUrl.Port, "Development", [Frontend.Origin, gatehouseUrl], new Dictionary<string, string?>
        {
            [$"Gatehouse:Social:Providers:{OidcProviderName}:Kind"] = "oidc",
            [$"Gatehouse:Social:Providers:{OidcProviderName}:Issuer"] = OidcProvider.Issuer.GetLeftPart(UriPartial.Authority),
            [$"Gatehouse:Social:Providers:{OidcProviderName}:ClientId"] = OidcProvider.ClientId,
            [$"Gatehouse:Social:Providers:{OidcProviderName}:ClientSecret"] = OidcProvider.ClientSecret,
            [$"Gatehouse:Social:Providers:{DevelopmentProviderName}:Kind"] = "development",
            ["Gatehouse:Social:RequiredFields:0"] = "email",
        });
        Gatehouse.StartServer();
        Frontend.Gatehouse = Gatehouse.BaseUrl;

        var demoUrl = new Uri($"http://127.0.0.1:{BrowserTestEnvironment.FreePort()}");
        Demo = new GatehouseKestrelHost(demoUrl.Port, "Development", [demoUrl], new Dictionary<string, string?>(DemoSettings));
        Demo.StartServer();
        await WarmUpAsync(cancellationToken);
    }

    /// <summary>
    /// Walks both flows' first steps once (Gatehouse's OpenID discovery of the provider, the JIT of the flow's code), so
    /// the first test pays no more than the others and each stays well under its time budget on a busy machine.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Gatehouse.BaseUrl };
        using var start = await client.GetAsync($"/auth/social/{OidcProviderName}/start?returnTo={Uri.EscapeDataString(Frontend.Url("/done").ToString())}", cancellationToken);
        using var handOff = await client.PostAsJsonAsync($"/auth/social/{DevelopmentProviderName}/authorization", new { redirectUri = Frontend.Url("/callback").ToString() }, cancellationToken);
        if (start.StatusCode != System.Net.HttpStatusCode.Redirect || !handOff.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Gatehouse did not start the social flows: /start answered {(int)start.StatusCode}, /authorization {(int)handOff.StatusCode} {await handOff.Content.ReadAsStringAsync(cancellationToken)}\n{OidcProvider.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        if (Gatehouse is not null)
        {
            await Gatehouse.DisposeAsync();
        }

        if (Demo is not null)
        {
            await Demo.DisposeAsync();
        }

        if (OidcProvider is not null)
        {
            await OidcProvider.DisposeAsync();
        }

        if (Frontend is not null)
        {
            await Frontend.DisposeAsync();
        }
    }

    /// <summary>A fresh context: its own cookies and storage, nothing shared with another test.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US" });
        context.SetDefaultTimeout(StepTimeoutMs);
        context.SetDefaultNavigationTimeout(StepTimeoutMs);
        return context;
    }

    /// <summary>An API client of Gatehouse, as the product's backend would call it (no cookies, no Origin).</summary>
    public HttpClient ApiClient(string? accessToken = null)
    {
        var client = new HttpClient { BaseAddress = Gatehouse.BaseUrl };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public async Task<MemberView> MemberAsync(string accessToken)
    {
        using var client = ApiClient(accessToken);
        return (await client.GetFromJsonAsync<MemberView>("/members/me", TestContext.Current.CancellationToken))!;
    }

    private static async Task<(IPlaywright, IBrowser)> StartBrowserAsync(string chromium)
    {
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",

                    // Only loopback resolves: anything else (oidc-provider's pages import a web font) fails at once
                    // instead of waiting on a network the machine may not have.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                ],
                Timeout = 30_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

public sealed record MemberView(string Id, string? Email, string Nickname, IReadOnlyList<IdentityView>? Identities);

public sealed record IdentityView(string Provider, string? Email, bool EmailVerified);
