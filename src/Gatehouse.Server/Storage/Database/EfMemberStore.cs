using Gatehouse.Core.Members;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>Members in the database. Each call is one short unit of work on a pooled context.</summary>
internal sealed class EfMemberStore(IDbContextFactory<GatehouseDbContext> contexts) : IMemberStore
{
    public async Task<Member?> FindByIdAsync(MemberId id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A withdrawn member's row is a tombstone: to everyone who asks by id, the member is gone.
        var row = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.PublicId == id.Value && m.WithdrawnAt == null, cancellationToken);
        return row is null ? null : ToMember(row);
    }

    public async Task<Member?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        // PostgreSQL text cannot hold NUL (it refuses the parameter with 22021), so no stored address contains one:
        // answer "no such member" instead of failing a login that was typed with one.
        if (normalizedEmail.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.NormalizedEmail == normalizedEmail, cancellationToken);
        return row is null ? null : ToMember(row);
    }

    public async Task<bool> TryAddAsync(Member member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Members.Add(ToRow(member));

        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // The unique index decides, not a prior read: of two sign-ups racing for one address, exactly one lands.
            return false;
        }
    }

    public async Task<bool> UpdateAsync(Member member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var id = member.Id.Value;
        var updatedAt = StoredTime.Normalize(member.UpdatedAt);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.Members
            .Where(m => m.PublicId == id && m.WithdrawnAt == null)
            .ExecuteUpdateAsync(
                s => s
                    .SetProperty(m => m.Email, member.Email)
                    .SetProperty(m => m.NormalizedEmail, member.NormalizedEmail)
                    .SetProperty(m => m.Nickname, member.Nickname)
                    .SetProperty(m => m.PasswordHash, member.PasswordHash)
                    .SetProperty(m => m.UpdatedAt, updatedAt),
                cancellationToken);
        return updated == 1;
    }

    /// <summary>The row a new member is stored as (also by <see cref="EfMemberIdentityStore"/>, with its first identity).</summary>
    internal static MemberRow ToRow(Member member) => new()
    {
        PublicId = member.Id.Value,
        Email = member.Email,
        NormalizedEmail = member.NormalizedEmail,
        Nickname = member.Nickname,
        PasswordHash = member.PasswordHash,
        CreatedAt = StoredTime.Normalize(member.CreatedAt),
        UpdatedAt = StoredTime.Normalize(member.UpdatedAt == default ? member.CreatedAt : member.UpdatedAt),
    };

    internal static Member ToMember(MemberRow row) => new()
    {
        Id = new MemberId(row.PublicId),
        Email = row.Email,
        NormalizedEmail = row.NormalizedEmail,
        Nickname = row.Nickname,
        PasswordHash = row.PasswordHash,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
    };
}
