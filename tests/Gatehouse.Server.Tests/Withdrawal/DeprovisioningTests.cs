using System.Net;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Tests.Social.Fakes;
using Gatehouse.Server.Tests.Social.Flow;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// A provider's notice that its user left (what the Kakao unlink callback and Apple's notifications call): recorded at
/// once, handled by the outbox as an unlink, or as a withdrawal when it was the member's last way to log in.
/// </summary>
public sealed class DeprovisioningTests(KakaoFake kakao) : IClassFixture<KakaoFake>
{
    /// <summary>Far longer than the outbox takes to deliver a webhook in these hosts (it polls every 100 ms).</summary>
    private static readonly TimeSpan SlowRevocation = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_notice_for_the_last_login_method_withdraws_the_member_without_calling_that_provider_back()
    {
        kakao.Server.Reset();
        var user = SocialFlowFixture.NewKakaoUser();
        kakao.Server.NextUser = user;
        var revoker = new RecordingProviderRevoker();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartWithKakaoAsync(kakao.Server, receiver, revoker);
        using var client = factory.CreateApiClient();
        var (accessToken, refreshToken) = await WithdrawalHost.SignUpWithKakaoAsync(client);
        var sub = Claim(accessToken, "sub");
        var created = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.created" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.created");
        Assert.Equal("kakao", created.Single(r => r.Type == "member.created").Data("provider"));

        await factory.Services.GetRequiredService<IProviderDeprovisioning>().RecordAsync("kakao", user.Subject, "unlinked", Ct);

        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.withdrawn");
        Assert.Equal("provider_deprovisioned", delivered.Single(r => r.Type == "member.withdrawn").Data("reason"));
        await AssertRefreshFailsAsync(client, refreshToken);
        using (var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", accessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        using var admin = factory.CreateAdminClient();
        await WithdrawalHost.WaitForEntryAsync(admin, "provider.deprovision", "done");
        var revocations = await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?kind=provider.revoke");
        Assert.Equal(0, revocations.GetArrayLength());
        Assert.Empty(revoker.Calls);

        // A second notice for the same account finds nothing linked and is done with nothing to do.
        await factory.Services.GetRequiredService<IProviderDeprovisioning>().RecordAsync("kakao", user.Subject, "unlinked", Ct);
        await WithdrawalHost.WaitForEntryAsync(admin, "provider.deprovision", "done", e => e.GetProperty("id").GetInt64() > 1 && e.GetProperty("attempts").GetInt32() == 1);
        Assert.Single(receiver.Delivered, r => r.Type == "member.withdrawn");
    }

    /// <summary>
    /// The notice's transaction writes its webhooks held, and they are released only once the sessions are revoked after
    /// the commit: a product that hears of it finds the refresh token refused, however slow the session store is.
    /// </summary>
    [Fact]
    public async Task The_refresh_token_is_refused_once_the_withdrawal_is_announced_even_with_a_slow_session_store()
    {
        kakao.Server.Reset();
        var user = SocialFlowFixture.NewKakaoUser();
        kakao.Server.NextUser = user;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartWithKakaoAsync(kakao.Server, receiver, new RecordingProviderRevoker(), ObservedSessionStore.Install);
        using var client = factory.CreateApiClient();
        var (_, refreshToken) = await WithdrawalHost.SignUpWithKakaoAsync(client);
        ObservedSessionStore.Of(factory).RevokeAllDelay = SlowRevocation;

        await factory.Services.GetRequiredService<IProviderDeprovisioning>().RecordAsync("kakao", user.Subject, "unlinked", Ct);

        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn"), WithdrawalHost.Patience, "member.withdrawn");
        await AssertRefreshFailsAsync(client, refreshToken);
    }

    [Fact]
    public async Task The_refresh_token_is_refused_once_the_unlink_is_announced_even_with_a_slow_session_store()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver, services: ObservedSessionStore.Install);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(LinkOutcome.Linked, await factory.Services.GetRequiredService<IMemberIdentityStore>().TryLinkAsync(new MemberIdentity(new MemberId(sub), "apple", "001234.slow", null, false, null, null, now, now), Ct));
        ObservedSessionStore.Of(factory).RevokeAllDelay = SlowRevocation;

        await factory.Services.GetRequiredService<IProviderDeprovisioning>().RecordAsync("apple", "001234.slow", "account_deleted", Ct);

        await receiver.WaitForAsync(d => d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub), WithdrawalHost.Patience, "session.revoked");
        await AssertRefreshFailsAsync(client, member.RefreshToken);
    }

    [Fact]
    public async Task A_notice_for_a_member_with_a_password_only_unlinks_and_ends_the_sessions()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        var identities = factory.Services.GetRequiredService<IMemberIdentityStore>();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(LinkOutcome.Linked, await identities.TryLinkAsync(new MemberIdentity(new MemberId(sub), "apple", "001234.abc", null, false, null, null, now, now), Ct));

        await factory.Services.GetRequiredService<IProviderDeprovisioning>().RecordAsync("apple", "001234.abc", "account_deleted", Ct);

        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub), WithdrawalHost.Patience, "session.revoked");
        Assert.Equal("provider_unlinked", delivered.Single(r => r.Type == "session.revoked").Data("reason"));
        Assert.Empty(await identities.ListAsync(new MemberId(sub), Ct));
        using var admin = factory.CreateAdminClient();
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done");
        await AssertRefreshFailsAsync(client, member.RefreshToken);

        // Still a member: the password logs in.
        await LoginForTokensAsync(client, member.Email, member.Password);
        Assert.DoesNotContain(receiver.Delivered, r => r.Type == "member.withdrawn");
    }
}
