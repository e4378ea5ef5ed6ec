using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Database.CompiledModels.Postgres;
using Gatehouse.Server.Storage.Database.CompiledModels.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>
/// Each provider's migrations and compiled model match the model in code, so a model change without its migrations or
/// without regenerating the compiled model fails here. (The server does not check either at start: it would cost
/// building the model it ships precompiled.)
/// </summary>
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

    [Fact]
    public void The_compiled_sqlite_model_is_the_model_in_code()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        AssertCompiledModelMatches(db, SqliteGatehouseDbContextModel.Instance);
    }

    [Fact]
    public void The_compiled_postgres_model_is_the_model_in_code()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        AssertCompiledModelMatches(db, PostgresGatehouseDbContextModel.Instance);
    }

    private static void AssertCompiledModelMatches(GatehouseDbContext db, IModel compiled)
    {
        // The context runs on the compiled model (found through its assembly attribute)...
        Assert.Same(compiled, db.Model);

        // ...which maps the same entities to the same tables, columns, types, nullability and keys as OnModelCreating
        // (indexes and constraints only matter to the migrations, checked above). If this fails, regenerate the
        // compiled model as Storage/Database/Migrations/README.md says.
        var fromCode = db.GetService<IDesignTimeModel>().Model;
        Assert.Equal(Describe(fromCode), Describe(compiled));
    }

    private static string[] Describe(IModel model) =>
    [
        .. model.GetEntityTypes().OrderBy(e => e.Name, StringComparer.Ordinal).SelectMany(entity =>
            new[] { $"{entity.Name} -> {entity.GetTableName()} key ({string.Join(", ", entity.FindPrimaryKey()!.Properties.Select(p => p.Name))})" }
                .Concat(entity.GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
                    $"  {p.Name}: {p.ClrType.Name}{(p.IsNullable ? "?" : "")} -> {p.GetColumnName()} {p.GetRelationalTypeMapping().StoreType}"
                    + $" converter {p.GetTypeMapping().Converter?.GetType().Name ?? "none"} generated {p.ValueGenerated}"))),
    ];
}
