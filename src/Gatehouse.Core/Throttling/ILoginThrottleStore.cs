namespace Gatehouse.Core.Throttling;

/// <summary>
/// Counts failed logins per key (an account, a client address, the pair) in fixed windows. Shared by every server
/// instance when it lives in Redis; in the process otherwise. Every count expires by itself, so no key is ever
/// blocked for good.
/// </summary>
public interface ILoginThrottleStore
{
    /// <summary>Failures counted for <paramref name="key"/> in its current window, and when that window ends.</summary>
    Task<ThrottleState> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Counts one failure; a new window of length <paramref name="window"/> starts at the first failure.</summary>
    Task<ThrottleState> AddFailureAsync(string key, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>
    /// Takes back one counted failure (an attempt counted before its password was checked, which then passed or was never
    /// checked). The window keeps its end; at zero the key is forgotten. Nothing happens when nothing is counted.
    /// </summary>
    Task RemoveFailureAsync(string key, CancellationToken cancellationToken);

    /// <summary>Forgets the failures of <paramref name="key"/> (after a successful login).</summary>
    Task ResetAsync(string key, CancellationToken cancellationToken);
}

/// <param name="ResetsIn">How long until the window ends and the count is forgotten; null when nothing is counted.</param>
public readonly record struct ThrottleState(long Failures, TimeSpan? ResetsIn);
