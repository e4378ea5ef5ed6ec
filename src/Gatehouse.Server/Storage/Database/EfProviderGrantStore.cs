using Gatehouse.Core.Social;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Sealed provider grants on <c>member_identities.sealed_grant</c>; deleted with the identity (unlink, withdrawal).</summary>
internal sealed class EfProviderGrantStore(IDbContextFactory<GatehouseDbContext> contexts) : IProviderGrantStore
{
    public async Task SaveAsync(string provider, string subject, byte[] sealedGrant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(sealedGrant);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.MemberIdentities
            .Where(i => i.Provider == provider && i.Subject == subject)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.SealedGrant, sealedGrant), cancellationToken);
    }
}
