using Gatehouse.Core.Members;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

public sealed class ExpiredSessionSweeperTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task The_sweeper_deletes_expired_rows_only(StoreKind kind)
    {
        var time = new FakeTimeProvider(RealNow());
        var contexts = fixture.Database(kind);
        var store = new EfRefreshSessionStore(contexts, time, TestSessions.DatabaseOptionsFor(kind));
        var member = MemberId.New();
        var live = New(member, time.GetUtcNow());
        await store.CreateAsync(live, Ct);
        for (var i = 0; i < 3; i++)
        {
            await store.CreateAsync(New(member, time.GetUtcNow() - TimeSpan.FromHours(2), idle: TimeSpan.FromHours(1)), Ct);
        }

        await store.CreateAsync(New(member, time.GetUtcNow() - TimeSpan.FromDays(31), idle: TimeSpan.FromDays(40)), Ct);
        var sweeper = new ExpiredSessionSweeper(contexts, time, NullLogger<ExpiredSessionSweeper>.Instance);

        Assert.Equal(4, await sweeper.SweepAsync(Ct));

        await using var db = await contexts.CreateDbContextAsync(Ct);
        Assert.Equal([live.Session.Id.Value], await db.RefreshSessions.Where(s => s.MemberId == member.Value).Select(s => s.Id).ToListAsync(Ct));
        Assert.Equal(0, await sweeper.SweepAsync(Ct));
    }

    [Fact]
    public async Task The_sweeper_deletes_in_batches()
    {
        var time = new FakeTimeProvider(RealNow());
        var contexts = fixture.Database(StoreKind.Sqlite);
        var store = new EfRefreshSessionStore(contexts, time, TestSessions.DatabaseOptionsFor(StoreKind.Sqlite));
        var count = ExpiredSessionSweeper.BatchSize + 5;
        for (var i = 0; i < count; i++)
        {
            await store.CreateAsync(New(MemberId.New(), time.GetUtcNow(), idle: TimeSpan.FromMinutes(1)), Ct);
        }

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(count, await new ExpiredSessionSweeper(contexts, time, NullLogger<ExpiredSessionSweeper>.Instance).SweepAsync(Ct));
    }
}
