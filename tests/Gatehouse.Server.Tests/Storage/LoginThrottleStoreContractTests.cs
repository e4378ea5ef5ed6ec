using Gatehouse.Core.Throttling;
using Gatehouse.Server.Storage.Memory;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>What every <see cref="ILoginThrottleStore"/> promises. Redis windows run in real time, so they are short.</summary>
public sealed class LoginThrottleStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(TestSessions.RealNow());

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task Nothing_is_counted_for_an_unknown_key(StoreKind kind)
    {
        Assert.Equal(new ThrottleState(0, null), await Store(kind).GetAsync(NewKey(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task Failures_count_up_within_one_fixed_window(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();

        var first = await store.AddFailureAsync(key, Window, Ct);
        _time.Advance(TimeSpan.FromMinutes(5));
        var second = await store.AddFailureAsync(key, Window, Ct);
        var third = await store.AddFailureAsync(key, Window, Ct);
        var read = await store.GetAsync(key, Ct);

        Assert.Equal([1L, 2L, 3L, 3L], [first.Failures, second.Failures, third.Failures, read.Failures]);
        Assert.InRange(first.ResetsIn!.Value, Window - TimeSpan.FromSeconds(5), Window);
        Assert.InRange(read.ResetsIn!.Value, TimeSpan.FromSeconds(1), Window);

        // The window started at the first failure and does not slide with later ones.
        Assert.True(read.ResetsIn <= first.ResetsIn);
        Assert.Equal(new ThrottleState(0, null), await store.GetAsync(NewKey(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task A_reset_forgets_the_failures(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        await store.AddFailureAsync(key, Window, Ct);
        await store.AddFailureAsync(key, Window, Ct);

        await store.ResetAsync(key, Ct);
        await store.ResetAsync(NewKey(), Ct);

        Assert.Equal(new ThrottleState(0, null), await store.GetAsync(key, Ct));
        Assert.Equal(1, (await store.AddFailureAsync(key, Window, Ct)).Failures);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task A_window_ends_by_itself_and_the_next_failure_starts_a_new_one(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        var window = TimeSpan.FromMilliseconds(400);
        await store.AddFailureAsync(key, window, Ct);
        await store.AddFailureAsync(key, window, Ct);

        await PassAsync(kind, window + TimeSpan.FromMilliseconds(100));

        Assert.Equal(new ThrottleState(0, null), await store.GetAsync(key, Ct));
        Assert.Equal(1, (await store.AddFailureAsync(key, window, Ct)).Failures);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task Concurrent_failures_each_count_once(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => store.AddFailureAsync(key, Window, Ct), Ct)));

        Assert.Equal(100, (await store.GetAsync(key, Ct)).Failures);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task Taking_back_a_failure_keeps_the_window_and_forgets_the_key_at_zero(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        var first = await store.AddFailureAsync(key, Window, Ct);
        await store.AddFailureAsync(key, Window, Ct);

        await store.RemoveFailureAsync(key, Ct);
        var one = await store.GetAsync(key, Ct);
        await store.RemoveFailureAsync(key, Ct);
        var none = await store.GetAsync(key, Ct);
        await store.RemoveFailureAsync(key, Ct);
        await store.RemoveFailureAsync(NewKey(), Ct);
        var next = await store.AddFailureAsync(key, Window, Ct);

        Assert.Equal(1, one.Failures);
        Assert.True(one.ResetsIn <= first.ResetsIn, "taking back a failure must not move the window's end");
        Assert.Equal(new ThrottleState(0, null), none);
        Assert.Equal(1, next.Failures);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.ThrottleStores), MemberType = typeof(StorageFixture))]
    public async Task Concurrent_counts_and_take_backs_each_count_once(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        for (var i = 0; i < 50; i++)
        {
            await store.AddFailureAsync(key, Window, Ct);
        }

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(
            () => i % 2 == 0 ? store.AddFailureAsync(key, Window, Ct) : store.RemoveFailureAsync(key, Ct), Ct)));

        Assert.Equal(50, (await store.GetAsync(key, Ct)).Failures);
    }

    private static string NewKey() => "a:" + TestEnvironment.RandomToken(8);

    /// <summary>Lets time pass: the fake clock for the memory store, a real (short) wait for Redis's own TTLs.</summary>
    private Task PassAsync(StoreKind kind, TimeSpan span)
    {
        if (kind == StoreKind.Redis)
        {
            return Task.Delay(span, Ct);
        }

        _time.Advance(span);
        return Task.CompletedTask;
    }

    private ILoginThrottleStore Store(StoreKind kind) => kind switch
    {
        StoreKind.Redis => new RedisLoginThrottleStore(fixture.Redis),
        _ => new MemoryLoginThrottleStore(_time),
    };
}
