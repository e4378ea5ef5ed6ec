using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// A withdrawal tells each provider that needs the member's own grant, end to end: the grant sealed at login, kept on
/// the identity, copied into the outbox entry by the withdrawal, opened by the real revoker and sent to the fake's
/// revocation endpoint, then dropped. Slow and failing providers neither hold up the 202 nor lose the revocation.
/// </summary>
public sealed class ProviderRevocationEndToEndTests : IClassFixture<EndToEndProviders>
{
    private readonly EndToEndProviders _providers;

    public ProviderRevocationEndToEndTests(EndToEndProviders providers)
    {
        _providers = providers;
        providers.Reset();
    }

    [Theory]
    [InlineData("google", "token")]
    [InlineData("github", "access_token")]
    [InlineData("apple", "token")]
    public async Task A_withdrawal_revokes_at_the_provider_with_the_token_it_issued_at_login_and_then_forgets_it(string provider, string field)
    {
        var fake = _providers.Fakes[provider];
        await using var factory = await _providers.StartHostAsync(null);
        using var client = factory.CreateApiClient();
        var (user, accessToken, _) = await _providers.SignUpAsync(client, provider);
        Assert.True(fake.HasGrant(user.Subject));
        var issued = fake.Secrets.Where(s => s.StartsWith("at-", StringComparison.Ordinal) || s.StartsWith("rt-", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        var clock = Stopwatch.StartNew();
        await WithdrawalHost.AssertWithdrawnAsync(client, accessToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the 202 took {clock.Elapsed.TotalMilliseconds:F0} ms");

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        Assert.Equal(provider, entry.GetProperty("target").GetString());
        Assert.Equal("Revoked.", await EndToEndProviders.FirstAttemptNoteAsync(admin, entry));
        var revocation = Assert.Single(fake.Revocations);
        Assert.Contains(revocation.Fields.GetValueOrDefault(field) ?? "(none)", issued);
        Assert.False(fake.HasGrant(user.Subject), "the provider's grant ended");

        await AssertGrantForgottenAsync(factory, provider, user.Subject);
    }

    [Fact]
    public async Task A_slow_provider_does_not_delay_the_202_and_is_told_all_the_same()
    {
        var google = _providers.Fakes["google"];
        google.SlowDelay = TimeSpan.FromSeconds(3);
        google.Fault(FakeEndpoint.Revocation, FakeFault.Slow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var factory = await _providers.StartHostAsync(receiver);
        using var client = factory.CreateApiClient();
        var (user, accessToken, _) = await _providers.SignUpAsync(client, "google");
        var sub = Claim(accessToken, "sub");

        var clock = Stopwatch.StartNew();
        await WithdrawalHost.AssertWithdrawnAsync(client, accessToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the 202 took {clock.Elapsed.TotalMilliseconds:F0} ms");

        // The product hears of the withdrawal while Google is still answering.
        await receiver.WaitForAsync(d => d.Any(r => r.Type == "member.withdrawn" && r.Data("memberId") == sub), TimeSpan.FromSeconds(2.5), "member.withdrawn while Google is slow");
        Assert.True(google.HasGrant(user.Subject));

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        Assert.Equal(1, entry.GetProperty("attempts").GetInt32());
        Assert.False(google.HasGrant(user.Subject));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), "Google answered after its delay");
    }

    [Fact]
    public async Task A_provider_answering_5xx_is_retried_until_it_recovers()
    {
        var github = _providers.Fakes["github"];
        await using var factory = await _providers.StartHostAsync(null);
        using var client = factory.CreateApiClient();
        var (user, accessToken, _) = await _providers.SignUpAsync(client, "github");
        github.Fault(FakeEndpoint.Revocation, FakeFault.ServerError, times: 2);

        await WithdrawalHost.AssertWithdrawnAsync(client, accessToken);

        using var admin = factory.CreateAdminClient();
        var entry = await WithdrawalHost.WaitForEntryAsync(admin, "provider.revoke", "done");
        Assert.Equal(3, entry.GetProperty("attempts").GetInt32());
        var attempts = (await WithdrawalHost.GetJsonAsync(admin, $"/admin/outbox/entries/{entry.GetProperty("id").GetInt64()}")).GetProperty("attempts");
        Assert.Equal(["retry", "retry", "succeeded"], attempts.EnumerateArray().Select(a => a.GetProperty("outcome").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(3, github.Calls(FakeEndpoint.Revocation));
        Assert.Single(github.Revocations);
        Assert.False(github.HasGrant(user.Subject));
        await AssertGrantForgottenAsync(factory, "github", user.Subject);
    }

    /// <summary>Neither the identity row (where the login kept the sealed grant) nor the outbox entry's copy is left.</summary>
    private static async Task AssertGrantForgottenAsync(GatehouseFactory factory, string provider, string subject)
    {
        Assert.False(await EndToEndProviders.IdentityStoredAsync(factory, provider, subject));
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        var payload = await db.OutboxEntries.Where(e => e.Kind == "provider.revoke" && e.Target == provider).Select(e => e.Payload).SingleAsync(Ct);
        var kept = JsonDocument.Parse(payload).RootElement;
        Assert.Equal(subject, kept.GetProperty("subject").GetString());
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("sealedGrant").ValueKind);
    }
}
