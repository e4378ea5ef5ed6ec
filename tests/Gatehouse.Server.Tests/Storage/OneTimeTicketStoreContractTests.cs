using System.Diagnostics;
using System.Security.Cryptography;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Social;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>What every <see cref="IOneTimeTicketStore"/> promises, run against each one this profile has.</summary>
public sealed class OneTimeTicketStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(RealNow());

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_stored_ticket_is_taken_once(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        var value = RandomNumberGenerator.GetBytes(64);

        await store.StoreAsync(key, value, _time.GetUtcNow().AddMinutes(10), Ct);

        Assert.Equal(value, await store.TakeAsync(key, Ct));
        Assert.Null(await store.TakeAsync(key, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task An_unknown_key_takes_nothing(StoreKind kind)
    {
        var store = Store(kind);
        await store.StoreAsync(NewKey(), new byte[] { 1, 2, 3 }, _time.GetUtcNow().AddMinutes(10), Ct);

        Assert.Null(await store.TakeAsync(NewKey(), Ct));
        Assert.Null(await store.TakeAsync("\0" + NewKey(), Ct));
        Assert.Null(await store.TakeAsync("", Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task An_expired_ticket_is_never_taken(StoreKind kind)
    {
        var store = Store(kind);
        var expiring = NewKey();
        var expired = NewKey();
        await store.StoreAsync(expiring, new byte[] { 1 }, _time.GetUtcNow().AddMilliseconds(300), Ct);
        await store.StoreAsync(expired, new byte[] { 2 }, _time.GetUtcNow().AddSeconds(-1), Ct);

        Assert.Null(await store.TakeAsync(expired, Ct));

        // The database stores follow the clock they are given; Redis expires keys by its own.
        _time.Advance(TimeSpan.FromMilliseconds(300));
        if (kind == StoreKind.Redis)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(400), Ct);
        }

        Assert.Null(await store.TakeAsync(expiring, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_ticket_is_taken_until_the_moment_it_expires(StoreKind kind)
    {
        Assert.SkipWhen(kind == StoreKind.Redis, "Redis expires keys by its own clock; An_expired_ticket_is_never_taken covers it.");
        var store = Store(kind);
        var key = NewKey();
        await store.StoreAsync(key, new byte[] { 7 }, _time.GetUtcNow().AddMinutes(5), Ct);

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));

        Assert.Equal(new byte[] { 7 }, await store.TakeAsync(key, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Of_fifty_concurrent_takes_exactly_one_gets_the_value(StoreKind kind)
    {
        var key = NewKey();
        var value = RandomNumberGenerator.GetBytes(32);
        await Store(kind).StoreAsync(key, value, _time.GetUtcNow().AddMinutes(10), Ct);

        // On the databases every read of the table is slowed down, so a take that read before it deleted would let
        // every concurrent take read the ticket. (Redis runs each command on its own; GETDEL is one.)
        var store = kind == StoreKind.Redis
            ? Store(kind)
            : new EfOneTimeTicketStore(await SlowReads.CreateAsync(fixture, kind, "one_time_tickets", TimeSpan.FromMilliseconds(50), Ct), _time);

        // Fifty connections open first: PostgreSQL starts new ones one after another, which would spread the takes out.
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => store.TakeAsync(NewKey(), Ct)));

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var takes = Enumerable.Range(0, 50)
            .Select(async _ =>
            {
                await gate.Task;
                return await store.TakeAsync(key, Ct);
            })
            .ToList();
        gate.SetResult();
        var taken = await Task.WhenAll(takes);

        Assert.Single(taken, t => t is not null);
        Assert.Equal(value, taken.Single(t => t is not null));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Values_up_to_four_kilobytes_round_trip_byte_for_byte(StoreKind kind)
    {
        var store = Store(kind);
        foreach (var length in new[] { 0, 1, 255, 1000, 4096 })
        {
            var key = NewKey();
            var value = RandomNumberGenerator.GetBytes(length);
            if (length > 2)
            {
                // Bytes that text encodings would mangle.
                value[0] = 0;
                value[1] = 0xFF;
                value[2] = 0xC3;
            }

            await store.StoreAsync(key, value.AsMemory(), _time.GetUtcNow().AddMinutes(10), Ct);

            Assert.Equal(value, await store.TakeAsync(key, Ct));
        }
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_key_is_stored_once(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        await store.StoreAsync(key, new byte[] { 1 }, _time.GetUtcNow().AddMinutes(10), Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.StoreAsync(key, new byte[] { 2 }, _time.GetUtcNow().AddMinutes(10), Ct));

        Assert.Equal(new byte[] { 1 }, await store.TakeAsync(key, Ct));
    }

    [Fact]
    public async Task Redis_ticket_keys_carry_the_prefix_and_expire_with_the_ticket()
    {
        var store = new RedisOneTimeTicketStore(fixture.Redis, _time);
        var key = NewKey();

        await store.StoreAsync(key, new byte[] { 1, 2, 3 }, _time.GetUtcNow().AddMinutes(10), Ct);

        var redisKey = fixture.RedisPrefix + "ticket:{" + key + "}";
        Assert.Contains(redisKey, (await fixture.RedisKeysAsync(Ct)).Select(k => (string)k!));
        var db = await fixture.RedisDatabaseAsync(Ct);
        var ttl = await db.KeyTimeToLiveAsync(redisKey);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(9.9), TimeSpan.FromMinutes(10));

        Assert.NotNull(await store.TakeAsync(key, Ct));
        Assert.False(await db.KeyExistsAsync(redisKey));
    }

    [Fact]
    public async Task A_dead_redis_fails_fast_with_SessionStoreUnavailableException()
    {
        await using var redis = StorageFixture.CreateRedisConnection("127.0.0.1:" + TestEnvironment.FreeTcpPort(), "gh:");
        var store = new RedisOneTimeTicketStore(redis, _time);

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => store.StoreAsync(NewKey(), new byte[] { 1 }, _time.GetUtcNow().AddMinutes(1), Ct));
        await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => store.TakeAsync(NewKey(), Ct));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_database_take_of_an_expired_ticket_deletes_its_row(StoreKind kind)
    {
        var store = Store(kind);
        var key = NewKey();
        await store.StoreAsync(key, new byte[] { 1 }, _time.GetUtcNow().AddSeconds(1), Ct);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await store.TakeAsync(key, Ct));

        await using var db = await fixture.Database(kind).CreateDbContextAsync(Ct);
        Assert.False(await db.OneTimeTickets.AnyAsync(t => t.Key == key, Ct));
    }

    private IOneTimeTicketStore Store(StoreKind kind) => kind == StoreKind.Redis
        ? new RedisOneTimeTicketStore(fixture.Redis, _time)
        : new EfOneTimeTicketStore(fixture.Database(kind), _time);

    /// <summary>As the social flow makes them: a digest of a fresh secret.</summary>
    private static string NewKey() => Convert.ToBase64String(SHA256.HashData(RandomNumberGenerator.GetBytes(32)));
}
