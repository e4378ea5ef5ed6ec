using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Http;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>DELETE /members/me as a member and the product see it: the answer, the tombstone, the webhooks.</summary>
public sealed class WithdrawalTests
{
    [Fact]
    public async Task A_member_who_just_logged_in_withdraws_and_is_gone_everywhere_while_the_product_hears_of_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.created" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.created");

        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);

        // Immediately, before any dispatch could matter: the token's member is gone, its refresh token dead.
        using (var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken))
        {
            await AssertProblemAsync(me, HttpStatusCode.Unauthorized, "invalid_token");
        }

        await AssertRefreshFailsAsync(client, member.RefreshToken);
        using (var login = await LoginAsync(client, member.Email, member.Password))
        {
            await AssertProblemAsync(login, HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        using (var again = await WithdrawalHost.WithdrawAsync(client, member.AccessToken))
        {
            await AssertProblemAsync(again, HttpStatusCode.Unauthorized, "invalid_token");
        }

        var delivered = await receiver.WaitForAsync(
            d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub) && d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub),
            WithdrawalHost.Patience,
            "member.withdrawn and session.revoked");
        Assert.Equal("requested", delivered.First(r => r.Type == "member.withdrawn").Data("reason"));
        Assert.Equal("withdrawal", delivered.First(r => r.Type == "session.revoked").Data("reason"));
        foreach (var webhook in delivered)
        {
            Assert.True(StandardWebhooks.Verify(receiver.Secret, webhook.Id, webhook.Timestamp, webhook.Signature, webhook.Body), "signature of " + webhook.Body);
            Assert.StartsWith("msg_", webhook.Id, StringComparison.Ordinal);
            Assert.InRange(long.Parse(webhook.Timestamp!, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            Assert.Equal(["data", "timestamp", "type"], webhook.Json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", webhook.Json.GetProperty("timestamp").GetString());
            Assert.False(StandardWebhooks.Verify("whsec_" + Convert.ToBase64String(new byte[32]), webhook.Id, webhook.Timestamp, webhook.Signature, webhook.Body));
            Assert.False(StandardWebhooks.Verify(receiver.Secret, webhook.Id, webhook.Timestamp, webhook.Signature, webhook.Body + " "));
        }

        // The address is free again, and the new account is a new member: the tombstone keeps the old sub taken.
        var second = await factory.SignupAsync(client, member.Email);
        Assert.NotEqual(sub, Claim(second.AccessToken, "sub"));
    }

    /// <summary>
    /// The commit makes <c>member.withdrawn</c> visible to the outbox, which may deliver it before the request has answered:
    /// it is written held, and released only once the sessions are revoked after the commit, so a product that hears of it
    /// finds the refresh token refused even while the session store is slow.
    /// </summary>
    [Fact]
    public async Task The_refresh_token_is_refused_once_the_withdrawal_is_announced_even_with_a_slow_session_store()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver, services: ObservedSessionStore.Install);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        ObservedSessionStore.Of(factory).RevokeAllDelay = TimeSpan.FromSeconds(2);

        var withdrawal = WithdrawalHost.WithdrawAsync(client, member.AccessToken);
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), WithdrawalHost.Patience, "member.withdrawn");
        await AssertRefreshFailsAsync(client, member.RefreshToken);
        using var answer = await withdrawal;
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
    }

    /// <summary>
    /// A session store that fails the revocation right after the commit neither fails the withdrawal nor holds back its
    /// webhooks; the outbox's <c>sessions.revoke</c> entry retries until the store answers, and then the session is over.
    /// </summary>
    [Fact]
    public async Task A_session_store_that_fails_the_revocation_delays_neither_the_answer_nor_the_webhooks_and_the_outbox_ends_the_sessions()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver, services: ObservedSessionStore.Install);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        ObservedSessionStore.Of(factory).RevokeAllUnavailable = true;

        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);
        await receiver.WaitForAsync(
            d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub) && d.Any(r => r.Type == "session.revoked" && r.Data("memberId") == sub),
            WithdrawalHost.Patience,
            "member.withdrawn and session.revoked");
        using var admin = factory.CreateAdminClient();
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "pending", e => e.GetProperty("attempts").GetInt32() >= 1);

        ObservedSessionStore.Of(factory).RevokeAllUnavailable = false;
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done");
        await AssertRefreshFailsAsync(client, member.RefreshToken);
    }

    [Fact]
    public async Task Withdrawal_needs_a_login_within_ten_minutes_or_the_password_and_a_refresh_is_no_fresh_login()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = await WithdrawalHost.StartAsync(null, time: time);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        time.Advance(TimeSpan.FromMinutes(11));
        var refreshed = await client.PostAsJsonAsync("/auth/token", new { refreshToken = member.RefreshToken }, Ct);
        var accessToken = (await AssertTokenResponseAsync(refreshed, HttpStatusCode.OK, refreshTokenInBody: true)).GetProperty("accessToken").GetString()!;
        Assert.Equal(Claim(member.AccessToken, "auth_time"), Claim(accessToken, "auth_time"));

        using (var stale = await WithdrawalHost.WithdrawAsync(client, accessToken))
        {
            var problem = await AssertProblemAsync(stale, HttpStatusCode.Forbidden, "reauthentication_required");
            Assert.Contains("password", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var wrong = await WithdrawalHost.WithdrawAsync(client, accessToken, "not the password at all"))
        {
            await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        using (var garbage = new HttpRequestMessage(HttpMethod.Delete, "/members/me"))
        {
            garbage.Headers.Authorization = new("Bearer", accessToken);
            garbage.Content = new StringContent("{\"password\":", System.Text.Encoding.UTF8, "application/json");
            using var response = await client.SendAsync(garbage, Ct);
            await AssertValidationProblemAsync(response, "password");
        }

        using (var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", accessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        await WithdrawalHost.AssertWithdrawnAsync(client, accessToken, member.Password);
        await AssertRefreshFailsAsync(client, member.RefreshToken);
    }

    [Fact]
    public async Task A_login_that_was_in_flight_when_the_withdrawal_committed_gets_no_session_in_the_database()
    {
        Assert.SkipWhen(TestEnvironment.IsDistributed, "Sessions are in Redis in this profile, which cannot tell a withdrawn member: the late revocation ends them (the test below).");
        await using var factory = await WithdrawalHost.StartAsync(null);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = new Core.Members.MemberId(Claim(member.AccessToken, "sub"));
        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);

        // The racing login: it read the member before the commit and starts its session only now. The database refuses
        // it in the session's own transaction, so there is no moment at which the member is gone and a session works.
        var sessions = factory.Services.GetRequiredService<Core.Sessions.SessionService>();
        await Assert.ThrowsAsync<Core.Sessions.MemberWithdrawnException>(() => sessions.StartAsync(sub, "racing login", Ct));
        Assert.Empty(await factory.Services.GetRequiredService<Core.Sessions.IRefreshSessionStore>().ListByMemberAsync(sub, Ct));
    }

    [Fact]
    public async Task A_login_that_was_in_flight_when_the_withdrawal_committed_is_ended_by_the_late_revocation()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Sessions are in the database in this profile: the racing login gets none (the test above).");
        await using var factory = await WithdrawalHost.StartAsync(null, s => s["Gatehouse:Outbox:LateRevocationDelay"] = "00:00:02");
        using var client = factory.CreateApiClient();
        using var admin = factory.CreateAdminClient();
        var member = await factory.SignupAsync(client);
        var sub = new Core.Members.MemberId(Claim(member.AccessToken, "sub"));
        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done");

        // The racing login: it read the member before the commit and creates its session only now, after the
        // request's and the first outbox revocation. The refresh path reads no database, so the session works...
        var racing = await factory.Services.GetRequiredService<Core.Sessions.SessionService>().StartAsync(sub, "racing login", Ct);
        var successor = await AssertRefreshWorksAsync(client, racing.RefreshToken);

        // ...until the late revocation ends it.
        await WithdrawalHost.WaitForEntryAsync(admin, "sessions.revoke", "done", e => e.GetProperty("eventId").GetString()!.EndsWith(":late", StringComparison.Ordinal));
        await AssertRefreshFailsAsync(client, successor);
    }

    [Fact]
    public async Task A_receiver_that_is_down_for_a_while_gets_the_event_once_it_is_back_with_the_same_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        await using var factory = await WithdrawalHost.StartAsync(receiver);
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);

        var deadline = DateTime.UtcNow + WithdrawalHost.Patience;
        while (receiver.Received.Count(r => r.Type == "member.withdrawn") < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        var refused = receiver.Received.Where(r => r.Type == "member.withdrawn").ToList();
        Assert.True(refused.Count >= 3, $"{refused.Count} attempts while down");
        receiver.Down = false;

        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn"), WithdrawalHost.Patience, "member.withdrawn once back");
        var attempts = receiver.Received.Where(r => r.Type == "member.withdrawn").ToList();
        Assert.Single(attempts.Select(a => a.Id).Distinct());
        Assert.Single(delivered, r => r.Type == "member.withdrawn");
        Assert.Equal(sub, delivered.Single(r => r.Type == "member.withdrawn").Data("memberId"));
        Assert.All(attempts, a => Assert.True(StandardWebhooks.Verify(receiver.Secret, a.Id, a.Timestamp, a.Signature, a.Body)));

        // The backoff grows: the gaps between refused attempts do not shrink.
        var gaps = refused.Zip(refused.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.True(gaps[^1] >= gaps[0] - TimeSpan.FromMilliseconds(100), "gaps: " + string.Join(", ", gaps.Select(g => g.TotalMilliseconds)));
    }

    [Fact]
    public async Task A_receiver_that_refuses_connections_for_a_while_gets_the_event_once_it_listens_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver);
        using var client = factory.CreateApiClient();
        using var admin = factory.CreateAdminClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.created"), WithdrawalHost.Patience, "member.created");
        await receiver.GoOfflineAsync();

        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);
        var failing = await WithdrawalHost.WaitForEntryAsync(
            admin, "webhook", "pending", e => e.GetProperty("eventType").GetString() == "member.withdrawn" && e.GetProperty("attempts").GetInt32() >= 2);
        Assert.StartsWith("No answer", failing.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        await receiver.ComeBackAsync();
        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn"), WithdrawalHost.Patience, "member.withdrawn once listening again");
        var withdrawn = Assert.Single(delivered, r => r.Type == "member.withdrawn");
        Assert.Equal(failing.GetProperty("eventId").GetString(), withdrawn.Id);
        Assert.Equal(sub, withdrawn.Data("memberId"));
        Assert.True(StandardWebhooks.Verify(receiver.Secret, withdrawn.Id, withdrawn.Timestamp, withdrawn.Signature, withdrawn.Body));
    }

    [Fact]
    public async Task A_dead_delivery_is_listed_with_its_attempts_and_an_admin_retry_delivers_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        await using var factory = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Outbox:MaxAttempts"] = "2");
        using var client = factory.CreateApiClient();
        using var admin = factory.CreateAdminClient();
        var member = await factory.SignupAsync(client);
        var before = await DiscoveryTests.ScrapeAsync(client);
        await WithdrawalHost.AssertWithdrawnAsync(client, member.AccessToken);

        var dead = await WithdrawalHost.WaitForEntryAsync(admin, "webhook", "dead", e => e.GetProperty("eventType").GetString() == "member.withdrawn");

        // An operator alerts on dead letters: the counter saw this one (meters are process-wide, so compare).
        var after = await DiscoveryTests.ScrapeAsync(client);
        for (var attempt = 0; attempt < 20 && DeadWebhooks(after) < DeadWebhooks(before) + 1; attempt++)
        {
            await Task.Delay(100, Ct);
            after = await DiscoveryTests.ScrapeAsync(client);
        }

        Assert.True(DeadWebhooks(after) >= DeadWebhooks(before) + 1, "gatehouse_outbox_steps_total{kind=\"webhook\",outcome=\"dead\"} did not count the dead letter");
        Assert.True(
            DiscoveryTests.Sample(after, "gatehouse_withdrawals_total", "reason=\"requested\"") >= DiscoveryTests.Sample(before, "gatehouse_withdrawals_total", "reason=\"requested\"") + 1,
            "gatehouse_withdrawals_total did not count the withdrawal");
        var id = dead.GetProperty("id").GetInt64();
        var listed = await WithdrawalHost.GetJsonAsync(admin, "/admin/webhooks/deliveries?status=dead");
        Assert.Contains(listed.EnumerateArray(), e => e.GetProperty("id").GetInt64() == id);
        var detail = await WithdrawalHost.GetJsonAsync(admin, $"/admin/webhooks/deliveries/{id}");
        Assert.Equal(2, detail.GetProperty("attempts").GetArrayLength());
        Assert.All(detail.GetProperty("attempts").EnumerateArray(), a => Assert.Equal(503, a.GetProperty("statusCode").GetInt32()));
        Assert.Equal(receiver.Url, detail.GetProperty("entry").GetProperty("target").GetString());

        using (var anonymous = factory.CreateApiClient())
        using (var refused = await anonymous.PostAsync(new Uri($"/admin/webhooks/deliveries/{id}/retry", UriKind.Relative), null, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        receiver.Down = false;
        using (var retry = await admin.PostAsync(new Uri($"/admin/webhooks/deliveries/{id}/retry", UriKind.Relative), null, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        var delivered = await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn"), WithdrawalHost.Patience, "the retried delivery");
        Assert.Equal(dead.GetProperty("eventId").GetString(), delivered.Single(r => r.Type == "member.withdrawn").Id);
        await WithdrawalHost.WaitForEntryAsync(admin, "webhook", "done", e => e.GetProperty("id").GetInt64() == id);

        using var missing = await admin.GetAsync(new Uri("/admin/webhooks/deliveries/999999", UriKind.Relative), Ct);
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "not_found");
        using var badStatus = await admin.GetAsync(new Uri("/admin/webhooks/deliveries?status=lost", UriKind.Relative), Ct);
        await AssertValidationProblemAsync(badStatus, "status");
    }

    private static double DeadWebhooks(string exposition) =>
        System.Text.RegularExpressions.Regex.Matches(exposition, @"^gatehouse_outbox_steps_total\{([^}]*)\} (\S+)", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value.Contains("kind=\"webhook\"", StringComparison.Ordinal) && m.Groups[1].Value.Contains("outcome=\"dead\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Logouts_admin_logouts_and_a_refresh_token_replay_each_tell_the_product()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await WithdrawalHost.StartAsync(receiver, s => s["Gatehouse:Tokens:RefreshReuseLeeway"] = "00:00:00");
        using var client = factory.CreateApiClient();
        using var admin = factory.CreateAdminClient();
        var member = await factory.SignupAsync(client);
        var sub = Claim(member.AccessToken, "sub");

        using (await client.PostAsJsonAsync("/auth/logout", new { refreshToken = member.RefreshToken }, Ct))
        {
        }

        var second = await LoginForTokensAsync(client, member.Email, member.Password);
        var extra = await LoginForTokensAsync(client, member.Email, member.Password);
        using (var deleted = await SendBearerAsync(client, HttpMethod.Delete, "/auth/sessions/" + Claim(extra.AccessToken, "sid"), second.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (await SendBearerAsync(client, HttpMethod.Post, "/auth/logout-all", second.AccessToken))
        {
        }

        await LoginForTokensAsync(client, member.Email, member.Password);
        using (await admin.PostAsync(new Uri($"/admin/members/{sub}/logout", UriKind.Relative), null, Ct))
        {
        }

        var third = await LoginForTokensAsync(client, member.Email, member.Password);
        await AssertRefreshWorksAsync(client, third.RefreshToken!);
        await Task.Delay(20, Ct);
        await AssertRefreshFailsAsync(client, third.RefreshToken!);

        var delivered = await receiver.WaitForAsync(
            d => d.Count(r => r.Type == "session.revoked" && r.Data("memberId") == sub) >= 4 && d.Any(r => r.Type == "security.refresh_token_reused"),
            WithdrawalHost.Patience,
            "four session.revoked and a reuse");
        var reasons = delivered.Where(r => r.Type == "session.revoked").Select(r => r.Data("reason")).Order(StringComparer.Ordinal);
        Assert.Equal(["admin", "logout", "logout_all", "session_deleted"], reasons);
        Assert.Equal(Claim(extra.AccessToken, "sid"), delivered.Single(r => r.Data("reason") == "session_deleted").Data("sessionId"));
        Assert.Equal("password", delivered.Single(r => r.Type == "member.created").Data("provider"));
        Assert.Equal(Claim(member.AccessToken, "sid"), delivered.Single(r => r.Data("reason") == "logout").Data("sessionId"));
        var reuse = delivered.Single(r => r.Type == "security.refresh_token_reused");
        Assert.Equal(sub, reuse.Data("memberId"));
        Assert.Equal(Claim(third.AccessToken, "sid"), reuse.Data("sessionId"));
    }

    [Theory]
    [InlineData("Gatehouse:Webhooks:Endpoints:0:Secret", "not-a-whsec-secret")]
    [InlineData("Gatehouse:Webhooks:Endpoints:0:Secret", "whsec_c2hvcnQ=")]
    [InlineData("Gatehouse:Webhooks:Endpoints:0:Url", "ftp://example.com/hooks")]
    [InlineData("Gatehouse:Outbox:LeaseDuration", "00:00:00")]
    [InlineData("Gatehouse:Outbox:MaxAttempts", "0")]
    public async Task A_bad_webhook_or_outbox_setting_stops_start_up_and_names_its_key(string key, string value)
    {
        await using var factory = new GatehouseFactory(s =>
        {
            s["Gatehouse:Webhooks:Endpoints:0:Url"] = "https://product.example/hooks";
            s["Gatehouse:Webhooks:Endpoints:0:Secret"] = "whsec_" + Convert.ToBase64String(new byte[32]);
            s[key] = value;
        });
        await factory.InitializeAsync();

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains(key + " must", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hold_fault_point_is_refused_outside_the_testing_environment()
    {
        await using var factory = new GatehouseFactory(s => s["Gatehouse:Testing:HoldAt"] = "withdrawal-after-commit");
        await factory.InitializeAsync();
        var error = Record.Exception(() => factory.WithWebHostBuilder(b => b.UseEnvironment("Production")).CreateClient());
        Assert.NotNull(error);
        Assert.Contains("Gatehouse:Testing:HoldAt", error.ToString(), StringComparison.Ordinal);
    }
}
