using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.AspNetCore.Tokens;

/// <summary>
/// Tokens that passed full validation, by <see cref="TokenHash"/>, until their <c>exp</c>. A hit costs one
/// dictionary lookup and two comparisons. Bounded: when full, entries that can no longer be used go first,
/// then the least recently used, down to 90 % of the capacity.
/// A token is admitted on its second successful validation: a token presented once (most of a stream of distinct
/// tokens) never pays for an entry, its identity copy and the evictions it would cause, while a token a client
/// keeps sending is cached from its second use on. Sightings are one 64-bit fingerprint per slot of a fixed table;
/// a collision or a lost race only delays an admission.
/// </summary>
internal sealed class ValidatedTokenCache
{
    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();
    private readonly long[] _sightings;
    private readonly TimeProvider _time;
    private int _count;
    private int _compacting;

    public ValidatedTokenCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _time = time;
        _sightings = capacity == 0 ? [] : new long[Math.Max(1024, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(capacity, 1 << 24) * 2))];
    }

    public int Capacity { get; }

    public bool IsEnabled => Capacity > 0;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// A fresh result for a token validated before under key set <paramref name="generation"/>, if its
    /// <c>exp</c> is still ahead. No clock-skew allowance: past <c>exp</c> the token goes through full
    /// validation again, which applies the skew as usual.
    /// </summary>
    public bool TryGet(in TokenHash key, long generation, [NotNullWhen(true)] out TokenValidationResult? result)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            var now = _time.GetUtcNow().UtcTicks;
            if (now < entry.ExpiresTicks && entry.Generation == generation)
            {
                // Recency only needs to be coarse; writing at most once a second keeps a hot token's
                // entry from bouncing between cores.
                if (now - Volatile.Read(ref entry.LastUsedTicks) > TimeSpan.TicksPerSecond)
                {
                    Volatile.Write(ref entry.LastUsedTicks, now);
                }

                result = entry.CreateResult();
                return true;
            }

            Remove(key, entry);
        }

        result = null;
        return false;
    }

    /// <summary>Remembers a successful result. Stores its own copy of the identity, so later changes by the caller do not leak into the cache.</summary>
    public void Add(in TokenHash key, TokenValidationResult result, long generation)
    {
        if (!IsEnabled || !result.IsValid || result.SecurityToken is not { } token || result.ClaimsIdentity is not { } identity)
        {
            return;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var expires = token.ValidTo;
        if (expires == DateTime.MinValue || expires.Ticks <= now)
        {
            return;
        }

        if (!SeenBefore(key))
        {
            return;
        }

        if (Count >= Capacity && !TryCompact(now, generation))
        {
            return;
        }

        var entry = new Entry(token, identity.Clone(), result.Issuer, result.TokenType, expires.Ticks, generation, now);
        if (_entries.TryAdd(key, entry))
        {
            Interlocked.Increment(ref _count);
        }
    }

    private bool SeenBefore(in TokenHash key)
    {
        var fingerprint = key.Fingerprint | 1; // never 0, the empty slot
        ref var slot = ref _sightings[(int)((ulong)fingerprint >> 1) & (_sightings.Length - 1)];
        if (Volatile.Read(ref slot) == fingerprint)
        {
            return true;
        }

        Volatile.Write(ref slot, fingerprint);
        return false;
    }

    private bool TryCompact(long now, long generation)
    {
        // One thread compacts; the others skip caching meanwhile rather than grow past the bound.
        if (Interlocked.CompareExchange(ref _compacting, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.ExpiresTicks <= now || entry.Generation != generation)
                {
                    Remove(key, entry);
                }
            }

            var target = Capacity - Math.Max(1, Capacity / 10);
            var excess = Count - target;
            if (excess > 0)
            {
                var byRecency = _entries.ToArray();
                var lastUsed = Array.ConvertAll(byRecency, e => Volatile.Read(ref e.Value.LastUsedTicks));
                Array.Sort(lastUsed, byRecency);
                for (var i = 0; i < byRecency.Length && excess > 0; i++)
                {
                    if (Remove(byRecency[i].Key, byRecency[i].Value))
                    {
                        excess--;
                    }
                }
            }

            return Count < Capacity;
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }

    private bool Remove(in TokenHash key, Entry entry)
    {
        // Removes this entry only, not one another thread has just put under the same key.
        if (_entries.TryRemove(KeyValuePair.Create(key, entry)))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    private sealed class Entry(SecurityToken token, ClaimsIdentity identity, string issuer, string tokenType, long expiresTicks, long generation, long lastUsedTicks)
    {
        public readonly long ExpiresTicks = expiresTicks;
        public readonly long Generation = generation;
        public long LastUsedTicks = lastUsedTicks;

        // A new identity per hit: authentication handlers and claims transformations may add claims to the
        // identity they get, and one request's additions must not appear in the next request.
        public TokenValidationResult CreateResult() => new()
        {
            IsValid = true,
            SecurityToken = token,
            ClaimsIdentity = identity.Clone(),
            Issuer = issuer,
            TokenType = tokenType,
        };
    }
}
