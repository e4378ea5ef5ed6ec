using Gatehouse.Core.Errors;
using Gatehouse.Core.Throttling;
using Gatehouse.Server.Storage.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>
/// <see cref="LoginThrottle"/> against the real in-memory store, with two checks interleaved at chosen points: what
/// guesses sent at once do to each other, made deterministic.
/// </summary>
public sealed class LoginThrottleConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// One place for the pair and one for the account. Check A has the pair's place and is about to take the account's;
    /// check B, refused at the pair, is still giving its places back. B must not have taken the account's place
    /// meanwhile: before, it did, and A was refused too, so neither check ran (a herd of 30 let 1 of 3 through).
    /// </summary>
    [Fact]
    public async Task A_check_refused_at_the_pairs_limit_takes_no_place_from_the_check_that_has_it()
    {
        var store = new InterleavedStore(new MemoryLoginThrottleStore(TimeProvider.System));
        var throttle = new LoginThrottle(store, Options(pair: 1, account: 1));
        var aRan = false;

        store.HoldNextInFlightIncrementOf("fa:");
        var a = throttle.CheckAsync("ada@example.com", "192.0.2.1", _ => { aRan = true; return Task.FromResult(false); }, ok => ok, Ct);
        await store.IncrementHeld.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        store.HoldRemovals();
        var b = throttle.CheckAsync("ada@example.com", "192.0.2.1", _ => Task.FromResult(false), ok => ok, Ct);
        await store.RemovalHeld.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        // B is refused and mid-way through giving back what it took; A goes on now.
        store.ReleaseIncrement();
        await store.SecondRemovalHeld.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct); // A settles (or gives up) in turn
        store.ReleaseRemovals();
        var (aRefused, _) = await a;
        var (bRefused, _) = await b;

        Assert.True(aRan, "A held the pair's place but was refused: B's passing place under the account crowded it out");
        Assert.Null(aRefused);
        Assert.Equal(GatehouseErrors.RateLimited, bRefused?.Error);
        Assert.Equal(LoginThrottle.InFlightWait, bRefused?.RetryAfter);
    }

    private static IOptionsMonitor<ThrottleOptions> Options(int pair, int account) =>
        new ServiceCollection()
            .Configure<ThrottleOptions>(o =>
            {
                o.MaxFailuresPerAccountAndAddress = pair;
                o.MaxFailuresPerAccount = account;
            })
            .BuildServiceProvider()
            .GetRequiredService<IOptionsMonitor<ThrottleOptions>>();

    /// <summary>The real store, with two pause points the test opens: one in-flight increment, and the removals.</summary>
    private sealed class InterleavedStore(ILoginThrottleStore inner) : ILoginThrottleStore
    {
        private readonly TaskCompletionSource _incrementGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _removalGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _heldPrefix;
        private bool _holdRemovals;
        private int _removals;

        public TaskCompletionSource IncrementHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource RemovalHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource SecondRemovalHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNextInFlightIncrementOf(string prefix) => _heldPrefix = prefix;

        public void ReleaseIncrement() => _incrementGate.TrySetResult();

        public void HoldRemovals() => _holdRemovals = true;

        public void ReleaseRemovals() => _removalGate.TrySetResult();

        public Task<ThrottleState> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

        public async Task<ThrottleState> AddFailureAsync(string key, TimeSpan window, CancellationToken cancellationToken)
        {
            if (_heldPrefix is { } prefix && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                _heldPrefix = null;
                IncrementHeld.TrySetResult();
                await _incrementGate.Task.WaitAsync(cancellationToken);
            }

            return await inner.AddFailureAsync(key, window, cancellationToken);
        }

        public async Task RemoveFailureAsync(string key, CancellationToken cancellationToken)
        {
            if (_holdRemovals)
            {
                // B's first removal, then whichever of A's comes next: both wait until the test opens the gate.
                var n = Interlocked.Increment(ref _removals);
                (n == 1 ? RemovalHeld : SecondRemovalHeld).TrySetResult();
                await _removalGate.Task.WaitAsync(cancellationToken);
            }

            await inner.RemoveFailureAsync(key, cancellationToken);
        }

        public Task ResetAsync(string key, CancellationToken cancellationToken) => inner.ResetAsync(key, cancellationToken);
    }
}
