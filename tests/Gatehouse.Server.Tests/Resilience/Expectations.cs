using System.Net;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Collects independent checks of an outage scenario and fails once at the end with all of them, so one run tells
/// everything that went wrong while the backing server was away, not just the first thing.
/// </summary>
internal sealed class Expectations
{
    private readonly List<string> _failures = [];

    public void That(bool condition, string failure)
    {
        if (!condition)
        {
            _failures.Add(failure);
        }
    }

    /// <summary>503 problem details with <c>error: service_unavailable</c> and a Retry-After, answered within <paramref name="bound"/>.</summary>
    public void Unavailable(ApiResponse response, string what, TimeSpan bound)
    {
        That(response.Status == HttpStatusCode.ServiceUnavailable && response.Error == "service_unavailable", $"{what}: expected 503 service_unavailable, got {response}");
        That(response.ContentType == "application/problem+json", $"{what}: expected application/problem+json, got {response.ContentType}");
        That(int.TryParse(response.RetryAfter, out var seconds) && seconds >= 1, $"{what}: expected a Retry-After of whole seconds, got '{response.RetryAfter}'");
        That(response.Elapsed < bound, $"{what}: answered in {response.Elapsed.TotalSeconds:F1} s, expected under {bound.TotalSeconds:F0} s");
    }

    public void Status(ApiResponse response, HttpStatusCode expected, string what) =>
        That(response.Status == expected, $"{what}: expected {(int)expected}, got {response}");

    public void Verify()
    {
        Assert.True(_failures.Count == 0, $"{_failures.Count} expectation(s) failed:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", _failures)}");
    }
}
