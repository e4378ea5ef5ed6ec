using System.Diagnostics.Metrics;

namespace Gatehouse.Core.Diagnostics;

/// <summary>
/// Counters on the <c>Gatehouse</c> meter (exported at <c>/metrics</c> as <c>gatehouse_*_total</c>). Tags are small
/// closed sets: never an email, an address or a member id. The meter is one per process and never disposed: a
/// listener subscribes to every meter of that name, so a meter disposed with one host would take the series of every
/// other host in the process with it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Injected so that services name their dependency; the meter behind it is process-wide.")]
public sealed class GatehouseMetrics
{
    public const string MeterName = "Gatehouse";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Logins = Meter.CreateCounter<long>("gatehouse.logins", description: "Successful logins, by provider.");
    private static readonly Counter<long> Signups = Meter.CreateCounter<long>("gatehouse.signups", description: "Members signed up, by provider.");
    private static readonly Counter<long> Refreshes = Meter.CreateCounter<long>("gatehouse.refreshes", description: "Refresh-token exchanges, by outcome.");
    private static readonly Counter<long> Reuse = Meter.CreateCounter<long>("gatehouse.refresh_reuse_detections", description: "Replays of a dead refresh token; each revoked a session family.");
    private static readonly Counter<long> Withdrawals = Meter.CreateCounter<long>("gatehouse.withdrawals", description: "Members withdrawn, by reason.");
    private static readonly Counter<long> OutboxSteps = Meter.CreateCounter<long>("gatehouse.outbox_steps", description: "Outbox step attempts, by kind and outcome (done, retry, dead).");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("gatehouse.failures", description: "Refused requests, by reason (the error code).");

    public void Login(string provider) => Logins.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public void Signup(string provider) => Signups.Add(1, new KeyValuePair<string, object?>("provider", provider));

    /// <param name="outcome">rotated, leeway, reused, not_found or invalid.</param>
    public void Refresh(string outcome) => Refreshes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ReuseDetected() => Reuse.Add(1);

    /// <param name="reason">requested or provider_deprovisioned.</param>
    public void Withdrawal(string reason) => Withdrawals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <param name="kind">webhook, sessions.revoke, provider.revoke or provider.deprovision.</param>
    /// <param name="outcome">done, retry or dead: alert on dead (a dead letter waits for an operator).</param>
    public void OutboxStep(string kind, string outcome) =>
        OutboxSteps.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    public void Failure(string reason) => Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
