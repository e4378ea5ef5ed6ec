using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// For <c>dotnet ef migrations add … --context SqliteGatehouseDbContext</c>. Adding a migration never opens the
/// database, so the connection string only has to parse.
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGatehouseDbContext>
{
    public SqliteGatehouseDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<SqliteGatehouseDbContext>()
            .UseSqlite("Data Source=design-time.db");
        return new SqliteGatehouseDbContext(builder.Options);
    }
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresGatehouseDbContext</c>; see <see cref="SqliteDesignTimeFactory"/>.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresGatehouseDbContext>
{
    public PostgresGatehouseDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresGatehouseDbContext>()
            .UseNpgsql("Host=localhost;Database=gatehouse_design_time");
        return new PostgresGatehouseDbContext(builder.Options);
    }
}
