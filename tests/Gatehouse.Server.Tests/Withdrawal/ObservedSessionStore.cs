using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// The host's real session store (the one this run's profile registers), with every call it receives written down, and
/// <see cref="RevokeAllDelay"/> before each <c>RevokeAllAsync</c>: a session store slow to revoke, as a loaded Redis is;
/// or, while <see cref="RevokeAllUnavailable"/> is set, one that cannot be reached for it.
/// </summary>
internal sealed class ObservedSessionStore(IRefreshSessionStore inner) : IRefreshSessionStore, IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _calls = new();

    public IReadOnlyList<string> Calls => [.. _calls];

    public TimeSpan RevokeAllDelay { get; set; }

    public bool RevokeAllUnavailable { get; set; }

    /// <summary>Puts an observed store in place of the registered one.</summary>
    public static void Install(IServiceCollection services)
    {
        var real = services.Last(d => d.ServiceType == typeof(IRefreshSessionStore));
        services.Remove(real);
        services.AddSingleton<IRefreshSessionStore>(sp => new ObservedSessionStore((IRefreshSessionStore)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!)));
    }

    /// <summary>The observed store of a host started with <see cref="Install"/>.</summary>
    public static ObservedSessionStore Of(GatehouseFactory factory) => (ObservedSessionStore)factory.Services.GetRequiredService<IRefreshSessionStore>();

    public void Reset() => _calls.Clear();

    public Task CreateAsync(NewRefreshSession session, CancellationToken cancellationToken) => Record(nameof(CreateAsync), inner.CreateAsync(session, cancellationToken));

    public Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken) => Record(nameof(RotateAsync), inner.RotateAsync(request, cancellationToken));

    public Task<RefreshSession?> FindAsync(SessionId id, CancellationToken cancellationToken) => Record(nameof(FindAsync), inner.FindAsync(id, cancellationToken));

    public Task<IReadOnlyList<RefreshSession>> ListByMemberAsync(MemberId memberId, CancellationToken cancellationToken) => Record(nameof(ListByMemberAsync), inner.ListByMemberAsync(memberId, cancellationToken));

    public Task<MemberId?> RevokeAsync(SessionId id, CancellationToken cancellationToken) => Record(nameof(RevokeAsync), inner.RevokeAsync(id, cancellationToken));

    public Task<int> RevokeAllAsync(MemberId memberId, CancellationToken cancellationToken) => Record(nameof(RevokeAllAsync), RevokeAllLateAsync(memberId, cancellationToken));

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private async Task<int> RevokeAllLateAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        if (RevokeAllDelay > TimeSpan.Zero)
        {
            await Task.Delay(RevokeAllDelay, cancellationToken);
        }

        if (RevokeAllUnavailable)
        {
            throw new SessionStoreUnavailableException("The test made the session store unavailable for revocations.");
        }

        return await inner.RevokeAllAsync(memberId, cancellationToken);
    }

    private T Record<T>(string call, T result)
    {
        _calls.Enqueue(call);
        return result;
    }
}
