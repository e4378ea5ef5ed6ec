namespace Gatehouse.Server.Outbox;

/// <summary><c>Gatehouse:Outbox</c>: how the dispatcher works the follow-up steps written by withdrawals and events.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Gatehouse:Outbox";

    /// <summary>False: this instance writes entries but never works them (another instance, or this one restarted with true, does).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the dispatcher looks for due entries when nothing woke it (a commit in this process wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claimed entry belongs to one instance; an instance that dies lets it go after this long. Also bounds one step.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts before an entry is dead-lettered (listed by the admin API, retried only by hand).</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>The wait after the first failure; it doubles with each further one, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A withdrawal's sessions are revoked a second time this long after the commit: a login that read the member just
    /// before the commit and created its session just after the first revocation (a password hash takes a while) is
    /// ended too, without the refresh path ever reading the database.
    /// </summary>
    public TimeSpan LateRevocationDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long done entries (and their attempts) stay listed before they are deleted; dead ones stay until retried.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Steps one instance runs at once.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>The wait before the attempt after <paramref name="attempts"/> failures: doubling, capped, with up to 20% jitter so retries spread out.</summary>
    public TimeSpan BackoffAfter(int attempts)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var ticks = Math.Min((double)MaxBackoff.Ticks, InitialBackoff.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (1 - (Random.Shared.NextDouble() * 0.2))));
    }

    public IEnumerable<string> Validate()
    {
        if (PollInterval < TimeSpan.FromMilliseconds(50) || PollInterval > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:PollInterval must be between 00:00:00.05 and 00:10:00 (was {PollInterval}).";
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:LeaseDuration must be between 00:00:01 and 01:00:00 (was {LeaseDuration}).";
        }

        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"{Section}:MaxAttempts must be between 1 and 100 (was {MaxAttempts}).";
        }

        if (InitialBackoff < TimeSpan.FromMilliseconds(10) || InitialBackoff > MaxBackoff)
        {
            yield return $"{Section}:InitialBackoff must be at least 00:00:00.01 and at most MaxBackoff (was {InitialBackoff}).";
        }

        if (MaxBackoff > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:MaxBackoff must be at most 1.00:00:00 (was {MaxBackoff}).";
        }

        if (LateRevocationDelay < TimeSpan.FromSeconds(1) || LateRevocationDelay > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:LateRevocationDelay must be between 00:00:01 and 01:00:00 (was {LateRevocationDelay}).";
        }

        // The sweep deletes what finished before now minus this: past DateTime's range that threw every ten minutes.
        if (Retention < TimeSpan.FromMinutes(1) || Retention > TimeSpan.FromDays(3650))
        {
            yield return $"{Section}:Retention must be between 00:01:00 and 3650.00:00:00 (10 years) (was {Retention}).";
        }

        if (MaxConcurrency is < 1 or > 256)
        {
            yield return $"{Section}:MaxConcurrency must be between 1 and 256 (was {MaxConcurrency}).";
        }
    }
}
