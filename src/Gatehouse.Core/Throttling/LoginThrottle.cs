using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Errors;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Throttling;

/// <summary>Decides whether a password login may be tried, and counts the ones that fail.</summary>
public sealed class LoginThrottle
{
    private readonly ILoginThrottleStore _store;
    private readonly IOptionsMonitor<ThrottleOptions> _options;

    public LoginThrottle(ILoginThrottleStore store, IOptionsMonitor<ThrottleOptions> options)
    {
        _store = store;
        _options = options;
    }

    /// <returns>A <see cref="GatehouseErrors.RateLimited"/> failure with <see cref="Failure.RetryAfter"/>, or null when the attempt may go on.</returns>
    public async Task<Failure?> CheckAsync(string account, string? address, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        TimeSpan? retryAfter = null;
        foreach (var (key, limit) in Keys(account, address, options))
        {
            var state = await _store.GetAsync(key, cancellationToken);
            if (state.Failures >= limit)
            {
                var wait = state.ResetsIn ?? options.Window;
                retryAfter = retryAfter is null || wait > retryAfter ? wait : retryAfter;
            }
        }

        return retryAfter is null
            ? null
            : new Failure(GatehouseErrors.RateLimited, "Too many failed logins. Try again later.") { RetryAfter = retryAfter };
    }

    public async Task RecordFailureAsync(string account, string? address, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        foreach (var (key, _) in Keys(account, address, options))
        {
            await _store.AddFailureAsync(key, options.Window, cancellationToken);
        }
    }

    /// <summary>A success forgets the failures from this address for this account; the account-wide count stays until its window ends.</summary>
    public Task RecordSuccessAsync(string account, string? address, CancellationToken cancellationToken) =>
        _store.ResetAsync(PairKey(account, address), cancellationToken);

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
