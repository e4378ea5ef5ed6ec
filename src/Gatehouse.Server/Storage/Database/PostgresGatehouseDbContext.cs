using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// The shared database of a deployment with several instances: times are <c>timestamptz</c>, hashes <c>bytea</c>.
/// Migrations in <c>Migrations/Postgres</c>.
/// </summary>
internal sealed class PostgresGatehouseDbContext(DbContextOptions<PostgresGatehouseDbContext> options) : GatehouseDbContext(options);
