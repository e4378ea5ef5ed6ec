using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Errors;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Throttling;

/// <summary>
/// Decides whether a password may be checked, and counts the checks that fail. A check in flight holds a place against
/// every limit until its outcome is known: counting failures only after the hash let every guess sent at once through,
/// since none of them had failed yet (50 concurrent wrong passwords were 50 hashes against a limit of 5).
/// </summary>
/// <remarks>
/// <see cref="CheckAsync"/> keeps the sequence: <see cref="BeginAsync"/>, then exactly one of <see cref="PassedAsync"/>
/// (the password is right), <see cref="FailedAsync"/> (it is wrong) or <see cref="AbandonAsync"/> (it could not be
/// checked: the hasher was busy, the request ended, a store failed). Checks in flight are counted under their own keys, with a short
/// window of their own, so a process that dies mid-check frees its places by itself.
/// </remarks>
public sealed class LoginThrottle
{
    /// <summary>The Retry-After of a check refused because others in flight hold the last places: about one hash away.</summary>
    public static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(1);

    /// <summary>How long a check in flight may hold its place if it is never settled (its process died).</summary>
    public static readonly TimeSpan InFlightWindow = TimeSpan.FromMinutes(1);

    private readonly ILoginThrottleStore _store;
    private readonly IOptionsMonitor<ThrottleOptions> _options;

    public LoginThrottle(ILoginThrottleStore store, IOptionsMonitor<ThrottleOptions> options)
    {
        _store = store;
        _options = options;
    }

    /// <summary>
    /// Runs one password check under the throttle: refused without running when a limit is reached; otherwise its places
    /// are held while it runs and settled by its outcome (<paramref name="passed"/>), or given back if it throws.
    /// </summary>
    /// <returns>The refusal (<see cref="GatehouseErrors.RateLimited"/> with <see cref="Failure.RetryAfter"/>), or null and the check's outcome.</returns>
    public async Task<(Failure? Refused, T Outcome)> CheckAsync<T>(
        string account, string? address, Func<CancellationToken, Task<T>> check, Func<T, bool> passed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(passed);

        // One set of keys and limits for the whole check: each key is a digest, and Begin's places must be the ones given back.
        var options = _options.CurrentValue;
        var keys = Keys(account, address, options).ToArray();
        if (await BeginAsync(keys, options.Window, cancellationToken) is { } refused)
        {
            return (refused, default!);
        }

        T outcome;
        try
        {
            outcome = await check(cancellationToken);
        }
        catch
        {
            await AbandonAsync(keys);
            throw;
        }

        await (passed(outcome) ? PassedAsync(keys) : FailedAsync(keys, options.Window));
        return (null, outcome);
    }

    /// <summary>Refuses the check when the failures, or the failures and the checks in flight, reach a limit; otherwise the check takes its places.</summary>
    /// <remarks>
    /// The keys are taken in order, and a check refused at one takes no place under the keys after it: among guesses
    /// sent at once, the ones refused at the pair's limit would otherwise crowd the account's and the address's
    /// counts for a moment, and refuse the very checks that had the pair's places (30 guesses at once with 3 places
    /// let 1 through, not 3). The keys after a refusal are still read, so Retry-After is the longest block.
    /// </remarks>
    /// <returns>A <see cref="GatehouseErrors.RateLimited"/> failure with <see cref="Failure.RetryAfter"/>, or null when the check may go on.</returns>
    private async Task<Failure?> BeginAsync((string Key, int Limit)[] keys, TimeSpan window, CancellationToken cancellationToken)
    {
        TimeSpan? retryAfter = null;
        var crowded = false;
        var taken = 0;
        foreach (var (key, limit) in keys)
        {
            if (retryAfter is not null || crowded)
            {
                var later = await _store.GetAsync(key, cancellationToken);
                if (later.Failures >= limit)
                {
                    retryAfter = Longest(retryAfter, later.ResetsIn ?? window);
                }

                continue;
            }

            // The place first, the failures after: a check settling meanwhile adds its failure before it gives its place
            // back, so this read sees it one way or the other.
            var inFlight = await _store.AddFailureAsync(InFlightKey(key), InFlightWindow, cancellationToken);
            taken++;
            var failures = await _store.GetAsync(key, cancellationToken);
            if (failures.Failures >= limit)
            {
                retryAfter = Longest(retryAfter, failures.ResetsIn ?? window);
            }
            else
            {
                crowded = failures.Failures + inFlight.Failures > limit;
            }
        }

        if (retryAfter is null && !crowded)
        {
            return null;
        }

        await AbandonAsync(keys[..taken]);
        return new Failure(GatehouseErrors.RateLimited, "Too many failed logins. Try again later.") { RetryAfter = retryAfter ?? InFlightWait };
    }

    /// <summary>The password was right: the check gives its places back, and the failures from this address for this account are forgotten; the account-wide and address-wide counts keep theirs until their windows end.</summary>
    private async Task PassedAsync((string Key, int Limit)[] keys)
    {
        await _store.ResetAsync(keys[0].Key, CancellationToken.None);
        await AbandonAsync(keys);
    }

    /// <summary>The password was wrong: a failure is counted against every limit, then the check gives its places back.</summary>
    private async Task FailedAsync((string Key, int Limit)[] keys, TimeSpan window)
    {
        foreach (var (key, _) in keys)
        {
            await _store.AddFailureAsync(key, window, CancellationToken.None);
        }

        await AbandonAsync(keys);
    }

    /// <summary>The password could not be checked: the check gives its places back, counting nothing.</summary>
    /// <remarks>Never the request's token, here or in the other two: a request that ended mid-check still settles it.</remarks>
    private async Task AbandonAsync((string Key, int Limit)[] keys)
    {
        foreach (var (key, _) in keys)
        {
            await _store.RemoveFailureAsync(InFlightKey(key), CancellationToken.None);
        }
    }

    private static string InFlightKey(string key) => "f" + key;

    private static TimeSpan Longest(TimeSpan? current, TimeSpan wait) => current is null || wait > current ? wait : current.Value;

    /// <summary>The pair's key first (<see cref="PassedAsync"/> resets it), then the account's and the address's.</summary>
    private static IEnumerable<(string Key, int Limit)> Keys(string account, string? address, ThrottleOptions options)
    {
        yield return (PairKey(account, address), options.MaxFailuresPerAccountAndAddress);
        yield return ("a:" + Digest(account), options.MaxFailuresPerAccount);
        if (address is not null)
        {
            yield return ("i:" + Digest(address), options.MaxFailuresPerAddress);
        }
    }

    private static string PairKey(string account, string? address) => "p:" + Digest(account + "\n" + address);

    // Keys hold a digest, not the email or the address: a throttle store is no place for personal data.
    private static string Digest(string value)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), hash);
        return Base64Url.EncodeToString(hash[..16]);
    }
}
