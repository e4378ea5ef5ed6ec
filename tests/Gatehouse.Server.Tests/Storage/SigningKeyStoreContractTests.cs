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
