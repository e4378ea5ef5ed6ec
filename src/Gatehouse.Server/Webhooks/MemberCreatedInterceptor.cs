using Gatehouse.Core.Events;
using Gatehouse.Core.Members;
using Gatehouse.Server.Outbox;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Webhooks;

/// <summary>
/// <c>member.created</c> in the sign-up's own transaction, whichever path added the member (password sign-up, social
/// sign-up, sign-up completion): when a <c>SaveChanges</c> adds a member row, its webhook deliveries are added to the
/// same <c>SaveChanges</c>, which is one transaction. The provider is the identity added with it, else <c>password</c>.
/// Keeps the event out of the stores' sign-up code, which stays a single insert.
/// </summary>
internal sealed class MemberCreatedInterceptor(IOptionsMonitor<WebhookOptions> webhooks, OutboxSignal signal, TimeProvider time) : SaveChangesInterceptor
{
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        AddEvents(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        AddEvents(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);

        // Without endpoints this interceptor added nothing: leave every other save (a login's session) untouched.
        if (webhooks.CurrentValue.Endpoints.Count > 0 && eventData.Context?.ChangeTracker.Entries<OutboxEntryRow>().Any() == true)
        {
            signal.Notify();
        }

        return ValueTask.FromResult(result);
    }

    private void AddEvents(DbContext? context)
    {
        var options = webhooks.CurrentValue;
        if (context is not GatehouseDbContext db || options.Endpoints.Count == 0)
        {
            return;
        }

        var added = db.ChangeTracker.Entries<MemberRow>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        if (added.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var identities = db.ChangeTracker.Entries<MemberIdentityRow>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        foreach (var member in added)
        {
            var provider = identities.FirstOrDefault(i => ReferenceEquals(i.Member, member))?.Provider ?? AccountService.PasswordProvider;
            db.OutboxEntries.AddRange(OutboxEntries.Webhooks(MemberEvents.Created(member.PublicId, provider, now), options, now));
        }
    }
}
