using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>The embedded default: one SQLite file. Migrations in <c>Migrations/Sqlite</c>.</summary>
internal sealed class SqliteGatehouseDbContext(DbContextOptions<SqliteGatehouseDbContext> options) : GatehouseDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // SQLite has no date type and EF Core's SQLite provider cannot translate comparisons or ORDER BY on
        // DateTimeOffset (it stores them as text), so every time is an INTEGER of unix milliseconds.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
    }
}
