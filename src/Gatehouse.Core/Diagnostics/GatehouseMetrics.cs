using System.Diagnostics.Metrics;

namespace Gatehouse.Core.Diagnostics;

/// <summary>
/// Counters on the <c>Gatehouse</c> meter (exported at <c>/metrics</c> as <c>gatehouse_*_total</c>). Tags are small
/// closed sets: never an email, an address or a member id.
/// </summary>
public sealed class GatehouseMetrics : IDisposable
{
    public const string MeterName = "Gatehouse";
    private readonly Meter _meter;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _signups;
    private readonly Counter<long> _refreshes;
    private readonly Counter<long> _reuse;
    private readonly Counter<long> _failures;

    public GatehouseMetrics()
    {
        _meter = new Meter(MeterName);
        _logins = _meter.CreateCounter<long>("gatehouse.logins", description: "Successful logins, by provider.");
        _signups = _meter.CreateCounter<long>("gatehouse.signups", description: "Members signed up, by provider.");
        _refreshes = _meter.CreateCounter<long>("gatehouse.refreshes", description: "Refresh-token exchanges, by outcome.");
        _reuse = _meter.CreateCounter<long>("gatehouse.refresh_reuse_detections", description: "Replays of a dead refresh token; each revoked a session family.");
        _failures = _meter.CreateCounter<long>("gatehouse.failures", description: "Refused requests, by reason (the error code).");
    }

    public void Login(string provider) => _logins.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public void Signup(string provider) => _signups.Add(1, new KeyValuePair<string, object?>("provider", provider));

    /// <param name="outcome">rotated, leeway, reused, not_found or invalid.</param>
    public void Refresh(string outcome) => _refreshes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ReuseDetected() => _reuse.Add(1);

    public void Failure(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
