namespace Gatehouse.Core.Members;

/// <summary>Where members live. Every implementation is one short unit of work per call.</summary>
public interface IMemberStore
{
    Task<Member?> FindByIdAsync(MemberId id, CancellationToken cancellationToken);

    Task<Member?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken);

    /// <summary>Adds a member; false when the normalized email is already taken (the unique index decides, not a prior read).</summary>
    Task<bool> TryAddAsync(Member member, CancellationToken cancellationToken);

    /// <summary>Saves nickname, email and password hash; false when the member no longer exists.</summary>
    Task<bool> UpdateAsync(Member member, CancellationToken cancellationToken);
}
