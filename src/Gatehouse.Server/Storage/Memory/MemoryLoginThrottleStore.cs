using System.Collections.Concurrent;
using Gatehouse.Core.Throttling;

namespace Gatehouse.Server.Storage.Memory;

/// <summary>
/// Failed-login counters in the process: right for the embedded default, where one instance sees every login. The
/// map is bounded: expired windows are swept at most once a minute, and at <see cref="Capacity"/> keys the entries
/// with the fewest failures are evicted first, so a spray of one failure from each of many addresses evicts its own
/// entries rather than the counts built up against an account under attack.
/// </summary>
internal sealed class MemoryLoginThrottleStore(TimeProvider time) : ILoginThrottleStore
{
    public const int DefaultCapacity = 100_000;
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private int _count;
    private long _nextSweep;

    public int Capacity { get; init; } = DefaultCapacity;

    /// <summary>How many keys are held (for tests and diagnostics).</summary>
    public int Count => Volatile.Read(ref _count);

    public Task<ThrottleState> GetAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_windows.TryGetValue(key, out var window))
        {
            if (window.EndsAt > now)
            {
                return Task.FromResult(window.ToState(now));
            }

            Remove(key, window);
        }

        return Task.FromResult(default(ThrottleState));
    }

    public Task<ThrottleState> AddFailureAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        var now = time.GetUtcNow();
        SweepIfDue(now);

        // Compare-and-swap on immutable windows: concurrent failures on one key each count exactly once.
        while (true)
        {
            if (_windows.TryGetValue(key, out var current))
            {
                var next = current.EndsAt > now ? new Window(current.Failures + 1, current.EndsAt) : new Window(1, now + window);
                if (_windows.TryUpdate(key, next, current))
                {
                    return Task.FromResult(next.ToState(now));
                }
            }
            else
            {
                if (Count >= Capacity)
                {
                    Evict(now);
                }

                var first = new Window(1, now + window);
                if (_windows.TryAdd(key, first))
                {
                    Interlocked.Increment(ref _count);
                    return Task.FromResult(first.ToState(now));
                }
            }
        }
    }

    public Task RemoveFailureAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        while (_windows.TryGetValue(key, out var current))
        {
            // Against the exact window read, as everywhere here: a failure counted meanwhile makes this try again.
            if (current.EndsAt <= now || current.Failures <= 1)
            {
                if (_windows.TryRemove(KeyValuePair.Create(key, current)))
                {
                    Interlocked.Decrement(ref _count);
                    break;
                }
            }
            else if (_windows.TryUpdate(key, new Window(current.Failures - 1, current.EndsAt), current))
            {
                break;
            }
        }

        return Task.CompletedTask;
    }

    public Task ResetAsync(string key, CancellationToken cancellationToken)
    {
        if (_windows.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _count);
        }

        return Task.CompletedTask;
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweep, (now + SweepInterval).UtcTicks, due) != due)
        {
            return;
        }

        RemoveExpired(now);
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var (key, window) in _windows)
        {
            if (window.EndsAt <= now)
            {
                Remove(key, window);
            }
        }
    }

    /// <summary>Makes room for a new key: first the expired windows, then a tenth of the map, fewest failures first.</summary>
    private void Evict(DateTimeOffset now)
    {
        lock (_evicting)
        {
            if (Count < Capacity)
            {
                return;
            }

            RemoveExpired(now);
            var excess = Count - (Capacity - Math.Max(1, Capacity / 10));
            if (excess <= 0)
            {
                return;
            }

            var victims = _windows
                .OrderBy(e => e.Value.Failures)
                .ThenBy(e => e.Value.EndsAt)
                .Take(excess)
                .ToList();
            foreach (var (key, window) in victims)
            {
                Remove(key, window);
            }
        }
    }

    /// <summary>Removes the entry only if it is still this window, so a concurrent new failure is never lost.</summary>
    private void Remove(string key, Window window)
    {
        if (_windows.TryRemove(KeyValuePair.Create(key, window)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Immutable and compared by reference: a swap or a removal succeeds only against the exact window read.</summary>
    private sealed class Window(long failures, DateTimeOffset endsAt)
    {
        public long Failures { get; } = failures;

        public DateTimeOffset EndsAt { get; } = endsAt;

        public ThrottleState ToState(DateTimeOffset now) => new(Failures, EndsAt - now);
    }
}
