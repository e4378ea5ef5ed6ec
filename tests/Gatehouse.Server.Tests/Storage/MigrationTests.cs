using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>Each provider's migrations match the model, so a model change without its migrations fails here, not at start-up.</summary>
public sealed class MigrationTests
{
    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);

        Assert.False(db.Database.HasPendingModelChanges());
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);

        Assert.False(db.Database.HasPendingModelChanges());

        // The same migrations by name (after the timestamp), so both providers reach the same schema.
        Assert.Equal(sqlite.Database.GetMigrations().Select(m => m[15..]), db.Database.GetMigrations().Select(m => m[15..]));
    }
}
