using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Lets the stores ask for a <see cref="GatehouseDbContext"/> whichever provider is configured: hands out contexts
/// from the provider's pooled factory (EF Core resets and reuses them).
/// </summary>
internal sealed class GatehouseDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<GatehouseDbContext>
    where TContext : GatehouseDbContext
{
    public GatehouseDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<GatehouseDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}
