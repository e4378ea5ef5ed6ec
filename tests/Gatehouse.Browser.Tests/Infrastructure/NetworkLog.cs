using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// Every request of a browser context as Playwright's network events report it, from the moment it is attached: the
/// failed ones (an answer of 400 or more, or no answer at all) and Gatehouse's refreshes (<c>POST /auth/token</c>).
/// </summary>
public sealed class NetworkLog
{
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<int> _refreshes = new();
    private readonly ConcurrentQueue<DateTimeOffset> _refreshTimes = new();
    private readonly ConcurrentQueue<string> _calls = new();

    private NetworkLog()
    {
    }

    /// <summary>Requests that failed: <c>"GET /demo/api/hello → 401"</c>, or <c>"… → net::ERR_…"</c>.</summary>
    public IReadOnlyCollection<string> Failures => _failures.ToArray();

    /// <summary>How many refreshes were answered, and with which status.</summary>
    public IReadOnlyCollection<int> Refreshes => _refreshes.ToArray();

    /// <summary>Every request that was answered, as <c>"METHOD path status"</c>.</summary>
    public IReadOnlyCollection<string> Calls => _calls.ToArray();

    public int SuccessfulRefreshes => _refreshes.Count(s => s == 200);

    /// <summary>The shortest time between two refreshes: two tabs refreshing for themselves would show as a few milliseconds.</summary>
    public TimeSpan ShortestGapBetweenRefreshes =>
        _refreshTimes.ToArray() is { Length: > 1 } times ? times.Zip(times.Skip(1), (a, b) => b - a).Min() : TimeSpan.MaxValue;

    public static NetworkLog Attach(IBrowserContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var log = new NetworkLog();
        context.Response += (_, response) =>
        {
            var path = new Uri(response.Url).AbsolutePath;
            var line = $"{response.Request.Method} {path} → {response.Status}";
            log._calls.Enqueue(line);
            if (response.Status >= 400)
            {
                log._failures.Enqueue(line);
            }

            if (response.Request.Method == "POST" && path == "/auth/token")
            {
                log._refreshes.Enqueue(response.Status);
                log._refreshTimes.Enqueue(DateTimeOffset.UtcNow);
            }
        };
        context.RequestFailed += (_, request) =>
        {
            // A navigation away from a page cancels what it still had in flight: not a failure anyone sees.
            if (request.Failure is { } failure && !failure.Contains("ERR_ABORTED", StringComparison.Ordinal))
            {
                log._failures.Enqueue($"{request.Method} {new Uri(request.Url).AbsolutePath} → {failure}");
            }
        };
        return log;
    }
}
