using Gatehouse.Server.Outbox;
using Xunit;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>The retention of finished outbox entries is bounded: the sweep deletes what finished before now minus it.</summary>
public sealed class OutboxOptionsTests
{
    [Fact]
    public void Retention_is_at_most_ten_years()
    {
        Assert.Empty(new OutboxOptions { Retention = TimeSpan.FromDays(3650) }.Validate());
        Assert.Contains(
            new OutboxOptions { Retention = TimeSpan.MaxValue }.Validate(),
            e => e.StartsWith("Gatehouse:Outbox:Retention must be between 00:01:00 and 3650.00:00:00", StringComparison.Ordinal));
    }
}
