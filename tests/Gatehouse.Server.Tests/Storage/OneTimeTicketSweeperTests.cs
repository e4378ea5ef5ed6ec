using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary><see cref="ExpiredSessionSweeper"/> also deletes expired one-time tickets (the database stores only: Redis expires keys itself).</summary>
public sealed class OneTimeTicketSweeperTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task The_sweeper_deletes_expired_tickets_only(StoreKind kind)
    {
        var time = new FakeTimeProvider(RealNow());
        var contexts = fixture.Database(kind);
        var store = new EfOneTimeTicketStore(contexts, time);
        var live = "live-" + Guid.NewGuid().ToString("N");
        await store.StoreAsync(live, new byte[] { 1 }, time.GetUtcNow().AddMinutes(10), Ct);
        for (var i = 0; i < 3; i++)
        {
            await store.StoreAsync("expired-" + Guid.NewGuid().ToString("N"), new byte[] { 2 }, time.GetUtcNow().AddMinutes(-i), Ct);
        }

        var sweeper = new ExpiredSessionSweeper(contexts, time, NullLogger<ExpiredSessionSweeper>.Instance);

        Assert.Equal(3, await sweeper.SweepTicketsAsync(Ct));

        await using (var db = await contexts.CreateDbContextAsync(Ct))
        {
            Assert.Equal([live], await db.OneTimeTickets.Select(t => t.Key).ToListAsync(Ct));
        }

        Assert.Equal(0, await sweeper.SweepTicketsAsync(Ct));
        Assert.Equal(new byte[] { 1 }, await store.TakeAsync(live, Ct));
    }

    [Fact]
    public async Task The_sweeper_deletes_tickets_in_batches()
    {
        var time = new FakeTimeProvider(RealNow());
        var contexts = fixture.Database(StoreKind.Sqlite);
        var store = new EfOneTimeTicketStore(contexts, time);
        var count = ExpiredSessionSweeper.BatchSize + 5;
        for (var i = 0; i < count; i++)
        {
            await store.StoreAsync("batch-" + i, new byte[] { 1 }, time.GetUtcNow().AddMinutes(1), Ct);
        }

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(count, await new ExpiredSessionSweeper(contexts, time, NullLogger<ExpiredSessionSweeper>.Instance).SweepTicketsAsync(Ct));
    }
}
