using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// A product's frontend, as small as it gets: a few pages on another loopback port (an allowed origin of Gatehouse,
/// same site, another origin) whose script calls Gatehouse with <c>credentials: 'include'</c> like an SPA would. Each
/// page writes what it got into <c>#result</c> as JSON and marks it <c>data-state="done"</c>.
/// </summary>
/// <remarks>
/// <c>/done</c>: where the server-redirect flow returns (<c>returnTo</c>); it reports the outcome Gatehouse put in the
/// fragment and calls <c>POST /auth/token</c>. <c>/start?provider=…</c>: starts the hand-off flow
/// (<c>POST /auth/social/{provider}/authorization</c>), keeps the state and follows the authorization URL.
/// <c>/callback</c>: where the provider returns in the hand-off flow; it checks the state and passes what came back
/// (<c>code</c> or <c>error</c>, <c>state</c>, <c>iss</c>) to <c>POST /auth/login</c>. <c>window.gatehouseCall(path, body)</c> is there for a test to
/// make further calls from the page (e.g. <c>/auth/signup</c>).
/// </remarks>
public sealed class FrontendHost : IAsyncDisposable
{
    private const string Script = """
        const out = document.getElementById('result');
        const params = new URLSearchParams(location.search);
        const query = Object.fromEntries(params);
        function show(value) { out.textContent = JSON.stringify(value); out.dataset.state = 'done'; }
        function claims(jwt) {
          const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
          return JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4)));
        }
        async function call(path, body) {
          const init = { method: 'POST', credentials: 'include' };
          if (body !== undefined) { init.headers = { 'Content-Type': 'application/json' }; init.body = JSON.stringify(body); }
          const response = await fetch(gatehouse + path, init);
          let json = null;
          try { json = await response.json(); } catch { }
          return { status: response.status, body: json, sub: json && json.accessToken ? claims(json.accessToken).sub : null };
        }
        window.gatehouseCall = call;
        const pages = {
          // The server-redirect flow lands here; Gatehouse put the outcome in the fragment (status=… or error=…).
          '/done': async () => show({ query, fragment: Object.fromEntries(new URLSearchParams(location.hash.slice(1))), token: await call('/auth/token') }),
          '/start': async () => {
            const provider = params.get('provider');
            const started = await call('/auth/social/' + encodeURIComponent(provider) + '/authorization', { redirectUri: location.origin + '/callback' });
            if (started.status !== 200) { show({ started }); return; }
            sessionStorage.setItem('provider', provider);
            sessionStorage.setItem('state', started.body.state);
            location.assign(started.body.authorizationUrl);
          },
          // The hand-off flow lands here: whatever the provider sent (code or error, state, iss) goes on to Gatehouse.
          '/callback': async () => {
            const login = { provider: sessionStorage.getItem('provider') };
            for (const name of ['code', 'state', 'iss', 'error']) { if (params.has(name)) login[name] = params.get(name); }
            show({ query, stateMatches: params.get('state') === sessionStorage.getItem('state'), login: await call('/auth/login', login) });
          },
        };
        pages[location.pathname]().catch(error => show({ exception: String(error) }));
        """;

    private readonly WebApplication _app;

    private FrontendHost(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;, without a trailing slash: what goes into Gatehouse:Frontend:Origins.</summary>
    public Uri Origin { get; }

    public string OriginString => Origin.GetLeftPart(UriPartial.Authority);

    /// <summary>Gatehouse's base URL, which the pages call; set once Gatehouse is up.</summary>
    public Uri? Gatehouse { get; set; }

    public static async Task<FrontendHost> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FrontendHost? host = null;
        foreach (var path in new[] { "/done", "/start", "/callback" })
        {
            app.MapGet(path, () => Results.Content(Page(host!.Gatehouse), "text/html; charset=utf-8"));
        }

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        host = new FrontendHost(app, new Uri(address));
        return host;
    }

    public Uri Url(string pathAndQuery) => new(Origin, pathAndQuery);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static string Page(Uri? gatehouse)
    {
        var gatehouseUrl = JsonSerializer.Serialize(gatehouse?.GetLeftPart(UriPartial.Authority) ?? throw new InvalidOperationException("FrontendHost.Gatehouse is not set."));
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Frontend</title></head>
            <body>
            <pre id="result"></pre>
            <script>
            const gatehouse = {gatehouseUrl};
            {Script}
            </script>
            </body>
            </html>
            """;
    }
}
