using Gatehouse.Core.Events;
using Gatehouse.Server.Outbox;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>Several instances over one outbox: each entry is worked by one at a time; a dead instance's entries come back.</summary>
public sealed class OutboxLeaseTests
{
    [Fact]
    public async Task Two_dispatchers_racing_over_one_outbox_never_deliver_an_entry_twice()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(150);
        await using var a = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Outbox:MaxConcurrency"] = "4");
        await using var b = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Outbox:MaxConcurrency"] = "4", share: a);
        using var clientB = b.CreateApiClient();
        _ = a.CreateApiClient();

        var publisher = a.Services.GetRequiredService<IEventPublisher>();
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var e = MemberEvents.SessionsRevoked("member" + i, null, RevocationReasons.Admin, DateTimeOffset.UtcNow);
            ids.Add(e.Id);
            await publisher.PublishAsync(e, Ct);
        }

        await receiver.WaitForAsync(d => ids.All(id => d.Any(r => r.Id == id)), TimeSpan.FromSeconds(30), "all 30 events");
        await Task.Delay(500, Ct);
        Assert.Equal(0, receiver.Overlaps);
        Assert.All(ids, id => Assert.Single(receiver.Received, r => r.Id == id));

        // Both instances took part: the claims interleaved rather than one instance taking everything.
        using var admin = a.CreateAdminClient();
        var done = await WithdrawalHost.GetJsonAsync(admin, "/admin/webhooks/deliveries?status=done&limit=200");
        Assert.Equal(30, done.GetArrayLength());
    }

    [Fact]
    public async Task An_entry_whose_instance_died_is_picked_up_once_its_lease_runs_out()
    {
        await using var receiver = await WebhookReceiver.StartAsync();

        // The instance that "dies": it writes the entry and claims it, then never completes it.
        await using var dead = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Outbox:Enabled"] = "false");
        _ = dead.CreateApiClient();
        var e = MemberEvents.SessionsRevoked("gone", null, RevocationReasons.Admin, DateTimeOffset.UtcNow);
        await dead.Services.GetRequiredService<IEventPublisher>().PublishAsync(e, Ct);
        var now = DateTimeOffset.UtcNow;
        var claimed = await dead.Services.GetRequiredService<OutboxStore>().ClaimAsync("dead-instance", now, now.AddSeconds(3), 10, Ct);
        Assert.Single(claimed);

        await using var live = await WithdrawalHost.StartAsync(receiver, share: dead);
        _ = live.CreateApiClient();
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        Assert.Empty(receiver.Received);

        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Id == e.Id), TimeSpan.FromSeconds(10), "the abandoned entry");
        Assert.True(delivered.Single().At >= now.AddSeconds(3).AddMilliseconds(-50), "delivered before the lease ran out");

        // The dead instance's late outcome is refused: the entry is the new holder's.
        Assert.False(await dead.Services.GetRequiredService<OutboxStore>().CompleteAsync(
            claimed[0], "dead-instance", new StepResult(StepOutcome.Failed, "late"), now, TimeSpan.Zero, null, Ct));
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Done_entries_past_their_retention_are_deleted_with_their_attempts_and_dead_ones_stay()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Outbox:MaxAttempts"] = "1");
        _ = factory.CreateApiClient();
        var publisher = factory.Services.GetRequiredService<IEventPublisher>();
        var delivered = MemberEvents.SessionsRevoked("kept-briefly", null, RevocationReasons.Admin, DateTimeOffset.UtcNow);
        await publisher.PublishAsync(delivered, Ct);
        await receiver.WaitForAsync(d => d.Any(r => r.Id == delivered.Id), WithdrawalHost.Patience, "the delivery");
        receiver.Down = true;
        var refused = MemberEvents.SessionsRevoked("dead-letter", null, RevocationReasons.Admin, DateTimeOffset.UtcNow);
        await publisher.PublishAsync(refused, Ct);
        using var admin = factory.CreateAdminClient();
        await WithdrawalHost.WaitForEntryAsync(admin, "webhook", "dead");
        await WithdrawalHost.WaitForEntryAsync(admin, "webhook", "done");

        var store = factory.Services.GetRequiredService<OutboxStore>();
        Assert.Equal(0, await store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(-1), Ct));
        Assert.Equal(1, await store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct));

        var left = await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries");
        var entry = Assert.Single(left.EnumerateArray());
        Assert.Equal(refused.Id, entry.GetProperty("eventId").GetString());
        Assert.Equal("dead", entry.GetProperty("status").GetString());
    }
}
