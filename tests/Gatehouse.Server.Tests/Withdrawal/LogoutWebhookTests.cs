using System.Net;
using System.Net.Http.Json;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// A logout while webhooks listen: <c>session.revoked</c> names the member, whom the session store's delete answers,
/// so the logout reads nothing before it (on the database and on Redis alike: the store of this run's profile).
/// </summary>
public sealed class LogoutWebhookTests
{
    [Fact]
    public async Task A_logout_deletes_the_session_in_one_store_call_and_the_webhook_names_its_owner()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        CountingSessionStore? counting = null;
        await using var factory = await WithdrawalHost.StartAsync(receiver, services: services =>
        {
            var real = services.Last(d => d.ServiceType == typeof(IRefreshSessionStore));
            services.Remove(real);
            services.AddSingleton<IRefreshSessionStore>(sp => counting = new CountingSessionStore((IRefreshSessionStore)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!)));
        });
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        counting!.Reset();

        using (var logout = await client.PostAsJsonAsync("/auth/logout", new { refreshToken = member.RefreshToken }, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        Assert.Equal(["RevokeAsync"], counting.Calls);
        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub), WithdrawalHost.Patience, "session.revoked");
        var revoked = delivered.Single(r => r.Type == "session.revoked");
        Assert.Equal(("logout", Claim(member.AccessToken, "sid")), (revoked.Data("reason"), revoked.Data("sessionId")));
        await AssertRefreshFailsAsync(client, member.RefreshToken);

        // Again: nothing to delete, nobody to tell.
        using (var again = await client.PostAsJsonAsync("/auth/logout", new { refreshToken = member.RefreshToken }, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.Single(receiver.Delivered, r => r.Type == "session.revoked");
    }

    /// <summary>The host's real session store, with every call it receives written down.</summary>
    private sealed class CountingSessionStore(IRefreshSessionStore inner) : IRefreshSessionStore, IDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _calls = new();

        public IReadOnlyList<string> Calls => [.. _calls];

        public void Reset() => _calls.Clear();

        public Task CreateAsync(NewRefreshSession session, CancellationToken cancellationToken) => Record(nameof(CreateAsync), inner.CreateAsync(session, cancellationToken));

        public Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken) => Record(nameof(RotateAsync), inner.RotateAsync(request, cancellationToken));

        public Task<RefreshSession?> FindAsync(SessionId id, CancellationToken cancellationToken) => Record(nameof(FindAsync), inner.FindAsync(id, cancellationToken));

        public Task<IReadOnlyList<RefreshSession>> ListByMemberAsync(MemberId memberId, CancellationToken cancellationToken) => Record(nameof(ListByMemberAsync), inner.ListByMemberAsync(memberId, cancellationToken));

        public Task<MemberId?> RevokeAsync(SessionId id, CancellationToken cancellationToken) => Record(nameof(RevokeAsync), inner.RevokeAsync(id, cancellationToken));

        public Task<int> RevokeAllAsync(MemberId memberId, CancellationToken cancellationToken) => Record(nameof(RevokeAllAsync), inner.RevokeAllAsync(memberId, cancellationToken));

        public void Dispose() => (inner as IDisposable)?.Dispose();

        private T Record<T>(string call, T result)
        {
            _calls.Enqueue(call);
            return result;
        }
    }
}
