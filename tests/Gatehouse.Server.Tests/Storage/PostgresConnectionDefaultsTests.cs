using Gatehouse.Server.Storage.Database;
using Npgsql;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

public sealed class PostgresConnectionDefaultsTests
{
    [Fact]
    public void Gatehouse_turns_off_the_pool_reset_and_turns_on_auto_prepare_by_default()
    {
        var tuned = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithPostgresDefaults("Host=db.internal;Port=5433;Database=gh;Username=gh;Password=secret"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(20, tuned.MaxAutoPrepare);
        Assert.Equal("db.internal", tuned.Host);
        Assert.Equal(5433, tuned.Port);
        Assert.Equal("secret", tuned.Password);
    }

    [Theory]
    [InlineData("Host=h;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=h;NoResetOnClose=false;MaxAutoPrepare=0")]
    [InlineData("host=h;no reset on close=False;max auto prepare=0")]
    public void What_the_connection_string_says_wins_however_it_is_spelled(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithPostgresDefaults(connectionString));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }
}
