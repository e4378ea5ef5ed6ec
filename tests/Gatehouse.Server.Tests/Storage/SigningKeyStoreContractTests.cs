using System.Security.Cryptography;
using Gatehouse.Core.Keys;
using Gatehouse.Server.Storage.Database;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

public sealed class SigningKeyStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Keys_are_listed_until_they_expire_and_then_deleted(StoreKind kind)
    {
        var time = new FakeTimeProvider(RealNow());
        var store = new EfSigningKeyStore(fixture.Database(kind), time);
        var now = Ms(time.GetUtcNow());
        var old = Key(now - TimeSpan.FromDays(2), retires: now - TimeSpan.FromDays(1), expires: now + TimeSpan.FromHours(1));
        var current = Key(now - TimeSpan.FromDays(1));
        var gone = Key(now - TimeSpan.FromDays(3), retires: now - TimeSpan.FromDays(2), expires: now - TimeSpan.FromMinutes(1));
        foreach (var key in new[] { current, old, gone })
        {
            await store.AddAsync(key, Ct);
        }

        var mine = new[] { old.KeyId, current.KeyId, gone.KeyId };
        var listed = (await store.ListAsync(Ct)).Where(k => mine.Contains(k.KeyId)).ToList();

        Assert.Equal([old.KeyId, current.KeyId], listed.Select(k => k.KeyId));
        AssertSame(old, listed[0]);
        AssertSame(current, listed[1]);

        Assert.Equal(1, await store.DeleteExpiredAsync(now, Ct));
        Assert.Equal(0, await store.DeleteExpiredAsync(now, Ct));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal([current.KeyId], (await store.ListAsync(Ct)).Select(k => k.KeyId).Where(mine.Contains));
        Assert.Equal(1, await store.DeleteExpiredAsync(time.GetUtcNow(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Retiring_sets_when_a_key_stops_signing_and_leaves_the_jwks(StoreKind kind)
    {
        var time = new FakeTimeProvider(RealNow());
        var store = new EfSigningKeyStore(fixture.Database(kind), time);
        var now = Ms(time.GetUtcNow());
        var key = Key(now);
        await store.AddAsync(key, Ct);

        await store.RetireAsync(key.KeyId, now + TimeSpan.FromMinutes(5), now + TimeSpan.FromMinutes(20), Ct);

        var retired = Assert.Single(await store.ListAsync(Ct), k => k.KeyId == key.KeyId);
        Assert.Equal(now + TimeSpan.FromMinutes(5), retired.RetiresAt);
        Assert.Equal(now + TimeSpan.FromMinutes(20), retired.ExpiresAt);
        await store.DeleteExpiredAsync(DateTimeOffset.MaxValue, Ct);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_key_is_added_unless_one_signs_at_that_time(StoreKind kind)
    {
        // Ten years back: no other test's key signs then.
        var time = new FakeTimeProvider(RealNow() - TimeSpan.FromDays(3650));
        var store = new EfSigningKeyStore(fixture.Database(kind), time);
        var now = Ms(time.GetUtcNow());
        var first = Key(now - TimeSpan.FromHours(1));
        var second = Key(now - TimeSpan.FromHours(1));

        Assert.True(await store.AddUnlessOneSignsAsync(first, now, Ct));
        Assert.False(await store.AddUnlessOneSignsAsync(second, now, Ct));

        // Once the first has retired, none signs.
        await store.RetireAsync(first.KeyId, now + TimeSpan.FromMinutes(1), now + TimeSpan.FromMinutes(30), Ct);
        var third = Key(now);
        Assert.True(await store.AddUnlessOneSignsAsync(third, now + TimeSpan.FromHours(1), Ct));

        var listed = (await store.ListAsync(Ct)).Select(k => k.KeyId).ToList();
        Assert.Contains(first.KeyId, listed);
        Assert.DoesNotContain(second.KeyId, listed);
        Assert.Contains(third.KeyId, listed);
        await store.RetireAsync(third.KeyId, now + TimeSpan.FromHours(2), now + TimeSpan.FromHours(3), Ct);
        await store.DeleteExpiredAsync(DateTimeOffset.MaxValue, Ct);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Instances_adding_at_once_add_one_key(StoreKind kind)
    {
        // Eleven years back, and each instance a store of its own with its own connections, as separate processes are.
        var time = new FakeTimeProvider(RealNow() - TimeSpan.FromDays(4015));
        var now = Ms(time.GetUtcNow());
        var keys = Enumerable.Range(0, 8).Select(_ => Key(now - TimeSpan.FromHours(1))).ToList();
        using var start = new Barrier(keys.Count);

        var added = await Task.WhenAll(keys.Select(key => Task.Run(
            async () =>
            {
                var store = new EfSigningKeyStore(fixture.Database(kind), time);
                start.SignalAndWait(Ct);
                return await store.AddUnlessOneSignsAsync(key, now, Ct);
            },
            Ct)));

        Assert.Single(added, a => a);
        var mine = keys.Select(k => k.KeyId).ToHashSet();
        var store = new EfSigningKeyStore(fixture.Database(kind), time);
        Assert.Single(await store.ListAsync(Ct), k => mine.Contains(k.KeyId));
        foreach (var key in keys)
        {
            await store.RetireAsync(key.KeyId, now, now, Ct);
        }

        await store.DeleteExpiredAsync(DateTimeOffset.MaxValue, Ct);
    }

    private static SigningKeyRecord Key(DateTimeOffset created, DateTimeOffset? retires = null, DateTimeOffset? expires = null) => new(
        "k" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        "ES256",
        """{"kty":"EC","crv":"P-256","x":"…","y":"…"}""",
        RandomNumberGenerator.GetBytes(60),
        created,
        created + TimeSpan.FromHours(1),
        retires,
        expires);

    private static void AssertSame(SigningKeyRecord expected, SigningKeyRecord actual)
    {
        Assert.Equal(expected with { SealedPrivateKey = Array.Empty<byte>() }, actual with { SealedPrivateKey = Array.Empty<byte>() });
        Assert.Equal(expected.SealedPrivateKey, actual.SealedPrivateKey);
    }
}
