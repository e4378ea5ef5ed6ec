using Gatehouse.Server.Storage.Memory;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

public sealed class MemoryLoginThrottleStoreTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_spray_of_new_keys_stays_under_the_cap_and_keeps_the_heavily_failed_key()
    {
        var store = new MemoryLoginThrottleStore(new FakeTimeProvider(TestSessions.RealNow())) { Capacity = 1000 };
        for (var i = 0; i < 10; i++)
        {
            await store.AddFailureAsync("a:victim@example.com", Window, Ct);
        }

        for (var i = 0; i < 5000; i++)
        {
            await store.AddFailureAsync("i:10.0." + (i / 256) + "." + (i % 256), Window, Ct);
        }

        Assert.InRange(store.Count, 1, 1000);
        Assert.Equal(10, (await store.GetAsync("a:victim@example.com", Ct)).Failures);
        Assert.Equal(1, (await store.GetAsync("i:10.0.19.135", Ct)).Failures);
    }

    [Fact]
    public async Task Expired_windows_are_swept_as_time_passes()
    {
        var time = new FakeTimeProvider(TestSessions.RealNow());
        var store = new MemoryLoginThrottleStore(time);
        for (var i = 0; i < 100; i++)
        {
            await store.AddFailureAsync("i:" + i, TimeSpan.FromSeconds(30), Ct);
        }

        time.Advance(MemoryLoginThrottleStore.SweepInterval);
        await store.AddFailureAsync("i:new", TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(1, store.Count);
    }
}
