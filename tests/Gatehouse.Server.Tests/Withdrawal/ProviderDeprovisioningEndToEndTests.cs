using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// Deprovisioning that comes from a provider, end to end with the real components: Kakao's unlink callback and Apple's
/// server-to-server notifications at Gatehouse's endpoints, the real deprovisioning handler and outbox dispatcher, the
/// member's sessions, and a real webhook receiver.
/// </summary>
public sealed class ProviderDeprovisioningEndToEndTests : IClassFixture<EndToEndProviders>
{
    private readonly EndToEndProviders _providers;

    public ProviderDeprovisioningEndToEndTests(EndToEndProviders providers)
    {
        _providers = providers;
        providers.Reset();
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Kakaos_unlink_callback_withdraws_a_member_without_a_password_and_the_product_is_told(string method)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (user, accessToken, refreshToken) = await _providers.SignUpAsync(client, "kakao");
        var sub = Claim(accessToken, "sub");

        var clock = Stopwatch.StartNew();
        using (var response = await client.SendAsync(KakaoCallback(new HttpMethod(method), user.Subject), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"Kakao waited {clock.Elapsed.TotalMilliseconds:F0} ms");

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.deprovision", "done");
        Assert.Equal("Withdrawn", await EndToEndProviders.FirstAttemptNoteAsync(admin, entry));
        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.withdrawn");
        var withdrawn = delivered.Single(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub);
        Assert.Equal("provider_deprovisioned", withdrawn.Data("reason"));
        Assert.True(StandardWebhooks.Verify(receiver.Secret, withdrawn.Id, withdrawn.Timestamp, withdrawn.Signature, withdrawn.Body), "the member.withdrawn delivery's signature verifies");

        await EndToEndProviders.AssertTombstonedAsync(client, accessToken, refreshToken);
        Assert.False(await EndToEndProviders.IdentityStoredAsync(factory, "kakao", user.Subject));

        // Kakao told Gatehouse; Gatehouse does not call Kakao back to unlink what is already unlinked.
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done");
        Assert.Equal(0, (await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?kind=provider.revoke")).GetArrayLength());
        Assert.Empty(_providers.Kakao.Revocations);
    }

    [Fact]
    public async Task Kakaos_unlink_callback_for_a_member_with_a_password_unlinks_kakao_only()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (member, user) = await _providers.SignUpWithPasswordAndLinkAsync(factory, client, "kakao");
        var sub = Claim(member.AccessToken, "sub");

        using (var response = await client.SendAsync(KakaoCallback(HttpMethod.Get, user.Subject), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.deprovision", "done");
        Assert.Equal("Unlinked", await EndToEndProviders.FirstAttemptNoteAsync(admin, entry));
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub), WithdrawalHost.Patience, "session.revoked");
        Assert.False(await EndToEndProviders.IdentityStoredAsync(factory, "kakao", user.Subject));

        // Still a member, who logs in with the password and has no Kakao identity any more.
        var again = await LoginForTokensAsync(client, member.Email, member.Password);
        Assert.Equal(sub, Claim(again.AccessToken, "sub"));
        Assert.DoesNotContain("kakao", await EndToEndProviders.IdentitiesAsync(client, again.AccessToken));
        Assert.DoesNotContain(receiver.Delivered, r => r.Type == "member.withdrawn");
    }

    [Fact]
    public async Task Kakaos_callback_sent_twice_withdraws_once_and_tells_the_product_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (user, accessToken, _) = await _providers.SignUpAsync(client, "kakao");
        var sub = Claim(accessToken, "sub");

        // Kakao retries a callback it thinks failed; both may arrive together.
        using var first = client.SendAsync(KakaoCallback(HttpMethod.Get, user.Subject), Ct);
        using var second = client.SendAsync(KakaoCallback(HttpMethod.Post, user.Subject), Ct);
        Assert.All(await Task.WhenAll(first, second), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        using var admin = factory.CreateAdminClient();
        var notes = new List<string?>();
        foreach (var entry in await WaitForAsync(admin, "kind=provider.deprovision&status=done", 2))
        {
            notes.Add(await EndToEndProviders.FirstAttemptNoteAsync(admin, entry));
        }

        Assert.Equal(["NotLinked", "Withdrawn"], notes.Order(StringComparer.Ordinal));
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.withdrawn");
        await WaitForNoPendingWebhooksAsync(admin);
        var webhooks = await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?kind=webhook");
        Assert.Single(webhooks.EnumerateArray(), e => e.GetProperty("eventType").GetString() == "member.withdrawn");
        Assert.Single(receiver.Delivered, r => r.Type == "member.withdrawn");
    }

    [Theory]
    [InlineData("consent-revoked")]
    [InlineData("account-delete")]
    public async Task Apples_notification_withdraws_an_apple_only_member_and_unlinks_apple_from_a_member_with_a_password(string type)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (appleOnly, accessToken, refreshToken) = await _providers.SignUpAsync(client, "apple");
        var (member, linked) = await _providers.SignUpWithPasswordAndLinkAsync(factory, client, "apple");
        var withdrawnSub = Claim(accessToken, "sub");
        var keptSub = Claim(member.AccessToken, "sub");

        foreach (var subject in new[] { appleOnly.Subject, linked.Subject })
        {
            using var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _providers.Apple.SignNotification(type, subject) }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await receiver.WaitForAsync(
            d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == withdrawnSub) && d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == keptSub),
            WithdrawalHost.Patience,
            "member.withdrawn for the Apple-only member and session.revoked for the other");
        await EndToEndProviders.AssertTombstonedAsync(client, accessToken, refreshToken);
        Assert.False(await EndToEndProviders.IdentityStoredAsync(factory, "apple", appleOnly.Subject));
        Assert.False(await EndToEndProviders.IdentityStoredAsync(factory, "apple", linked.Subject));

        var again = await LoginForTokensAsync(client, member.Email, member.Password);
        Assert.Equal(keptSub, Claim(again.AccessToken, "sub"));
        Assert.Empty(await EndToEndProviders.IdentitiesAsync(client, again.AccessToken));
        Assert.DoesNotContain(receiver.Delivered, r => r.Type == "member.withdrawn" && r.Data("memberId") == keptSub);

        // Apple told Gatehouse: nothing to revoke there.
        using var admin = factory.CreateAdminClient();
        Assert.Equal(0, (await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?kind=provider.revoke")).GetArrayLength());
        Assert.Empty(_providers.Apple.Revocations);
    }

    [Fact]
    public async Task Apples_notification_for_an_unknown_subject_is_acknowledged_and_changes_nothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (_, accessToken, refreshToken) = await _providers.SignUpAsync(client, "apple");

        using (var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _providers.Apple.SignNotification("account-delete", "001234.unknown.0000") }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.deprovision", "done");
        Assert.Equal("NotLinked", await EndToEndProviders.FirstAttemptNoteAsync(admin, entry));
        Assert.Equal(["apple"], await EndToEndProviders.IdentitiesAsync(client, accessToken));
        await AssertRefreshWorksAsync(client, refreshToken);
        await WaitForNoPendingWebhooksAsync(admin);
        Assert.All(receiver.Delivered, r => Assert.Equal("member.created", r.Type));
        Assert.Equal(0, (await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?kind=sessions.revoke")).GetArrayLength());
    }

    /// <summary>What Kakao sends to the unlink callback: GET with a query or POST with a form, authorized with the admin key.</summary>
    private HttpRequestMessage KakaoCallback(HttpMethod method, string userId)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["app_id"] = EndToEndProviders.KakaoAppId, ["user_id"] = userId, ["referrer_type"] = "UNLINK_FROM_APPS" };
        var request = method == HttpMethod.Get
            ? new HttpRequestMessage(method, "/auth/social/kakao/unlink?" + string.Join('&', fields.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}")))
            : new HttpRequestMessage(method, "/auth/social/kakao/unlink") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.TryAddWithoutValidation("Authorization", "KakaoAK " + _providers.Kakao.AdminKey);
        return request;
    }

    private static async Task WaitForNoPendingWebhooksAsync(HttpClient admin) => await WaitForAsync(admin, "kind=webhook&status=pending", 0);

    /// <summary>Polls the admin API until <paramref name="query"/> lists exactly <paramref name="count"/> outbox entries.</summary>
    private static async Task<System.Text.Json.JsonElement[]> WaitForAsync(HttpClient admin, string query, int count)
    {
        var deadline = DateTime.UtcNow + WithdrawalHost.Patience;
        while (true)
        {
            var entries = (await WithdrawalHost.GetJsonAsync(admin, "/admin/outbox/entries?" + query)).EnumerateArray().ToArray();
            if (entries.Length == count)
            {
                return entries;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{query}: {entries.Length} entries, not {count}");
            await Task.Delay(100, Ct);
        }
    }
}
