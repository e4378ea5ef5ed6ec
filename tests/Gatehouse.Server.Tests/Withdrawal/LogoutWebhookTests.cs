using System.Net;
using System.Net.Http.Json;
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
        await using var factory = await WithdrawalHost.StartAsync(receiver, services: ObservedSessionStore.Install);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        var counting = ObservedSessionStore.Of(factory);
        counting.Reset();

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
}
