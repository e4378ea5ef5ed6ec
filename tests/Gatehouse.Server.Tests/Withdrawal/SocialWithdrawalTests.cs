using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using Gatehouse.Server.Tests.Social.Flow;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>Withdrawal of members who signed up through a provider: the provider's revocation step, a new sub on return.</summary>
public sealed class SocialWithdrawalTests(KakaoFake kakao) : IClassFixture<KakaoFake>
{
    [Fact]
    public async Task A_slow_provider_revocation_delays_neither_the_202_nor_the_webhooks_and_gets_the_sealed_grant()
    {
        kakao.Server.Reset();
        var user = SocialFlowFixture.NewKakaoUser();
        kakao.Server.NextUser = user;
        var revoker = new RecordingProviderRevoker { Delay = TimeSpan.FromSeconds(4) };
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartWithKakaoAsync(kakao.Server, receiver, revoker);
        using var client = factory.CreateApiClient();
        var tokens = await WithdrawalHost.SignUpWithKakaoAsync(client);

        // What the login path keeps for the revocation (sealed by it; opaque bytes here).
        var grant = System.Security.Cryptography.RandomNumberGenerator.GetBytes(48);
        await factory.Services.GetRequiredService<IProviderGrantStore>().SaveAsync("kakao", user.Subject, grant, Ct);

        var clock = Stopwatch.StartNew();
        await WithdrawalHost.AssertWithdrawnAsync(client, tokens.AccessToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the 202 took {clock.Elapsed.TotalMilliseconds:F0} ms");

        var sub = Claim(tokens.AccessToken, "sub");
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), TimeSpan.FromSeconds(3.5), "member.withdrawn while the provider is still slow");
        Assert.Empty(revoker.Calls);

        using var admin = factory.CreateAdminClient();
        await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        var call = Assert.Single(revoker.Calls);
        Assert.Equal(("kakao", user.Subject), (call.Provider, call.Subject));
        Assert.Equal(grant, call.Grant);

        // Kept for that one purpose: once the provider is told, the outbox keeps no trace of the grant.
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        var payloads = await db.OutboxEntries.Where(e => e.Kind == "provider.revoke").Select(e => e.Payload).ToListAsync(Ct);
        var kept = JsonDocument.Parse(Assert.Single(payloads)).RootElement;
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("sealedGrant").ValueKind);
        Assert.Equal(user.Subject, kept.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Signing_up_again_with_the_same_provider_account_gives_a_new_sub_and_kakao_is_told_to_unlink_the_first()
    {
        kakao.Server.Reset();
        var user = SocialFlowFixture.NewKakaoUser();
        await using var factory = await WithdrawalHost.StartWithKakaoAsync(kakao.Server, null, null);
        using var client = factory.CreateApiClient();
        kakao.Server.NextUser = user;
        var first = await WithdrawalHost.SignUpWithKakaoAsync(client);
        await WithdrawalHost.AssertWithdrawnAsync(client, first.AccessToken);

        // The real revoker, against the Kakao fake: unlink with the app's admin key, naming the provider's user id.
        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        Assert.Equal("kakao", entry.GetProperty("target").GetString());
        var detail = await WithdrawalHost.GetJsonAsync(admin, $"/admin/outbox/entries/{entry.GetProperty("id").GetInt64()}");
        Assert.StartsWith("Revoked", detail.GetProperty("attempts")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        var unlink = Assert.Single(kakao.Server.Revocations, r => r.Fields.GetValueOrDefault("target_id") == user.Subject);
        Assert.Equal("KakaoAK " + kakao.Server.AdminKey, unlink.Authorization);

        kakao.Server.NextUser = user;
        var second = await WithdrawalHost.SignUpWithKakaoAsync(client);
        Assert.NotEqual(Claim(first.AccessToken, "sub"), Claim(second.AccessToken, "sub"));
    }

    [Fact]
    public async Task A_provider_that_refuses_for_good_is_dead_lettered_without_the_grant_and_the_withdrawal_stands()
    {
        kakao.Server.Reset();
        var user = SocialFlowFixture.NewKakaoUser();
        kakao.Server.NextUser = user;
        var revoker = new RecordingProviderRevoker { Answer = RevocationStatus.Failed };
        await using var factory = await WithdrawalHost.StartWithKakaoAsync(kakao.Server, null, revoker);
        using var client = factory.CreateApiClient();
        var tokens = await WithdrawalHost.SignUpWithKakaoAsync(client);
        var grant = System.Security.Cryptography.RandomNumberGenerator.GetBytes(48);
        await factory.Services.GetRequiredService<IProviderGrantStore>().SaveAsync("kakao", user.Subject, grant, Ct);
        await WithdrawalHost.AssertWithdrawnAsync(client, tokens.AccessToken);

        using var admin = factory.CreateAdminClient();
        var dead = await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "dead");
        Assert.Equal(1, dead.GetProperty("attempts").GetInt32());
        Assert.Equal(grant, Assert.Single(revoker.Calls).Grant);
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done");
        using (var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        // Nothing will use the provider's tokens again unless an operator retries: the dead letter keeps none of them.
        var kept = await RevocationPayloadAsync(factory);
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("sealedGrant").ValueKind);
        Assert.True(kept.GetProperty("grantDropped").GetBoolean());
        Assert.Equal(user.Subject, kept.GetProperty("subject").GetString());

        // An operator's retry still asks the revoker, without a grant; what it cannot do without one is recorded as skipped.
        revoker.Answer = RevocationStatus.Skipped;
        var id = dead.GetProperty("id").GetInt64();
        using (var retry = await admin.PostAsync($"/admin/outbox/entries/{id}/retry", null, Ct))
        {
            Assert.True(retry.IsSuccessStatusCode, $"retry answered {(int)retry.StatusCode}");
        }

        await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        Assert.Equal(2, revoker.Calls.Count);
        Assert.Null(revoker.Calls[1].Grant);
        var detail = await WithdrawalHost.GetJsonAsync(admin, $"/admin/outbox/entries/{id}");
        Assert.StartsWith("Skipped: the grant was deleted when this entry was first finished", detail.GetProperty("attempts")[1].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> RevocationPayloadAsync(GatehouseFactory factory)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        var payload = await db.OutboxEntries.Where(e => e.Kind == "provider.revoke").Select(e => e.Payload).SingleAsync(Ct);
        return JsonDocument.Parse(payload).RootElement.Clone();
    }
}
