using System.Diagnostics;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Storage.Redis;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>What only the Redis stores promise: the key layout, a TTL on every key, the memory a session costs.</summary>
public sealed class RedisSessionStoreTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    /// <summary>The budget for a session as created at login (docs/architecture.md, Redis layout).</summary>
    public const long MaxBytesPerNewSession = 320;

    /// <summary>
    /// After its first rotation a session also holds the previous digest, the nonce and the rotation time. With 16-byte
    /// digests and nonce and a condensed 64-character user agent it stays in jemalloc's 320-byte class: 312 bytes with
    /// this test's 15-character key prefix, 296 with the default <c>gh:</c>. Anything more (a longer field, or a field
    /// over 64 bytes turning the hash into a hash table, ~900 bytes) fails this test.
    /// </summary>
    public const long MaxBytesPerRotatedSession = 320;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(RealNow());

    [Fact]
    public async Task A_session_with_the_longest_user_agent_stays_within_its_memory_budget()
    {
        var store = new RedisRefreshSessionStore(fixture.Redis, _time);
        var db = await fixture.RedisDatabaseAsync(Ct);
        var created = New(MemberId.New(), _time.GetUtcNow());
        Assert.Equal(SessionService.MaxUserAgentLength, created.Session.UserAgent!.Length);
        await store.CreateAsync(created, Ct);
        var key = fixture.RedisPrefix + "s:{" + created.Session.Id.Value + "}";

        var fresh = await MemoryUsageAsync(db, key);
        Assert.Equal("listpack", (string?)await db.ExecuteAsync("OBJECT", "ENCODING", key));
        await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);
        var rotated = await MemoryUsageAsync(db, key);

        TestContext.Current.SendDiagnosticMessage($"Redis MEMORY USAGE per session: {fresh} bytes new, {rotated} bytes rotated.");
        Assert.Equal("listpack", (string?)await db.ExecuteAsync("OBJECT", "ENCODING", key));
        Assert.True(fresh <= MaxBytesPerNewSession, $"A new session takes {fresh} bytes.");
        Assert.True(rotated <= MaxBytesPerRotatedSession, $"A rotated session takes {rotated} bytes.");
    }

    [Fact]
    public async Task Every_key_the_stores_write_has_a_ttl()
    {
        var sessions = new RedisRefreshSessionStore(fixture.Redis, _time);
        var throttle = new RedisLoginThrottleStore(fixture.Redis);
        var member = MemberId.New();
        var created = New(member, _time.GetUtcNow());
        await sessions.CreateAsync(created, Ct);
        await sessions.CreateAsync(New(member, _time.GetUtcNow()), Ct);
        await sessions.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);
        var throttleKey = "a:" + TestEnvironment.RandomToken(4);
        await throttle.AddFailureAsync(throttleKey, TimeSpan.FromMinutes(15), Ct);
        await throttle.AddFailureAsync(throttleKey, TimeSpan.FromMinutes(15), Ct);

        var keys = (await fixture.RedisKeysAsync(Ct)).Select(k => (string)k!).ToList();

        Assert.Contains(fixture.RedisPrefix + "s:{" + created.Session.Id.Value + "}", keys);
        Assert.Contains(fixture.RedisPrefix + "m:{" + member.Value + "}", keys);
        Assert.Contains(fixture.RedisPrefix + "t:{" + throttleKey + "}", keys);
        var db = await fixture.RedisDatabaseAsync(Ct);
        foreach (var key in keys)
        {
            var ttl = await db.KeyTimeToLiveAsync(key);
            Assert.True(ttl > TimeSpan.Zero, $"{key} has no TTL");
        }
    }

    [Fact]
    public async Task A_session_key_expires_with_the_session_and_rotation_moves_it()
    {
        var store = new RedisRefreshSessionStore(fixture.Redis, _time);
        var db = await fixture.RedisDatabaseAsync(Ct);
        var created = New(MemberId.New(), _time.GetUtcNow(), idle: TimeSpan.FromHours(1));
        await store.CreateAsync(created, Ct);
        var key = fixture.RedisPrefix + "s:{" + created.Session.Id.Value + "}";

        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));

        await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow(), idle: TimeSpan.FromHours(3)), Ct);

        ttl = await db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(2.9), TimeSpan.FromHours(3));
    }

    [Fact]
    public async Task The_member_index_lives_as_long_as_its_longest_session_and_never_shrinks()
    {
        var store = new RedisRefreshSessionStore(fixture.Redis, _time);
        var db = await fixture.RedisDatabaseAsync(Ct);
        var member = MemberId.New();
        var index = fixture.RedisPrefix + "m:{" + member.Value + "}";

        await store.CreateAsync(New(member, _time.GetUtcNow(), absolute: TimeSpan.FromDays(30)), Ct);
        await store.CreateAsync(New(member, _time.GetUtcNow(), idle: TimeSpan.FromMinutes(10), absolute: TimeSpan.FromHours(1)), Ct);

        var ttl = await db.KeyTimeToLiveAsync(index);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));

        await store.CreateAsync(New(member, _time.GetUtcNow(), absolute: TimeSpan.FromDays(60)), Ct);
        ttl = await db.KeyTimeToLiveAsync(index);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(59.9), TimeSpan.FromDays(60));
    }

    [Fact]
    public async Task Listing_drops_index_entries_of_sessions_that_are_gone()
    {
        var store = new RedisRefreshSessionStore(fixture.Redis, _time);
        var db = await fixture.RedisDatabaseAsync(Ct);
        var member = MemberId.New();
        var kept = New(member, _time.GetUtcNow());
        var lost = New(member, _time.GetUtcNow());
        await store.CreateAsync(kept, Ct);
        await store.CreateAsync(lost, Ct);
        var index = fixture.RedisPrefix + "m:{" + member.Value + "}";

        // As if the key had expired, or Redis had evicted it.
        await db.KeyDeleteAsync(fixture.RedisPrefix + "s:{" + lost.Session.Id.Value + "}");

        Assert.Equal([kept.Session], await store.ListByMemberAsync(member, Ct));
        await db.PingAsync();
        Assert.Equal([kept.Session.Id.Value], (await db.SortedSetRangeByRankAsync(index)).Select(v => (string)v!));
    }

    [Fact]
    public async Task Reuse_deletes_the_session_key_and_its_index_entry()
    {
        var store = new RedisRefreshSessionStore(fixture.Redis, _time);
        var db = await fixture.RedisDatabaseAsync(Ct);
        var member = MemberId.New();
        var created = New(member, _time.GetUtcNow());
        await store.CreateAsync(created, Ct);

        var result = await store.RotateAsync(Rotate(created.Session.Id, RandomHash(), _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.Reused, result.Outcome);
        Assert.False(await db.KeyExistsAsync(fixture.RedisPrefix + "s:{" + created.Session.Id.Value + "}"));
        await db.PingAsync();
        Assert.False(await db.KeyExistsAsync(fixture.RedisPrefix + "m:{" + member.Value + "}"));
    }

    [Fact]
    public async Task A_dead_redis_fails_fast_with_SessionStoreUnavailableException()
    {
        // Nothing listens on this port. The first call also waits for the first connect (ConnectTimeout, 2 s); every
        // call waits for its answer at most OperationTimeout (1 s), which StackExchange.Redis checks once a second.
        await using var redis = StorageFixture.CreateRedisConnection("127.0.0.1:" + TestEnvironment.FreeTcpPort(), "gh:");
        var sessions = new RedisRefreshSessionStore(redis, _time);
        var throttle = new RedisLoginThrottleStore(redis);
        var created = New(MemberId.New(), _time.GetUtcNow());

        await AssertFailsFastAsync(() => sessions.CreateAsync(created, Ct), TimeSpan.FromSeconds(7));
        await AssertFailsFastAsync(() => sessions.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct), TimeSpan.FromSeconds(3.5));
        await AssertFailsFastAsync(() => sessions.FindAsync(created.Session.Id, Ct), TimeSpan.FromSeconds(3.5));
        await AssertFailsFastAsync(() => sessions.ListByMemberAsync(created.Session.MemberId, Ct), TimeSpan.FromSeconds(3.5));
        await AssertFailsFastAsync(() => throttle.AddFailureAsync("a:x", TimeSpan.FromMinutes(1), Ct), TimeSpan.FromSeconds(3.5));
    }

    private static async Task AssertFailsFastAsync(Func<Task> call, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<SessionStoreUnavailableException>(call);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, within);
    }

    private static async Task<long> MemoryUsageAsync(IDatabase db, string key) => (long)await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
}
