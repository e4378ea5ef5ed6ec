using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Tests.Social.Fakes;
using Gatehouse.Server.Tests.Social.Flow;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Revocation;

/// <summary>The provider's tokens kept at login for revoking the link later: sealed before they are stored, and only where needed.</summary>
public sealed class GrantCaptureTests : IClassFixture<DeprovisioningFixture>
{
    private readonly DeprovisioningFixture _fixture;

    public GrantCaptureTests(DeprovisioningFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_login_keeps_the_providers_tokens_sealed_and_they_open_again()
    {
        var user = NewGoogleUser();
        using var client = _fixture.CreateClient();

        using var first = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertTokenResponseAsync(first, HttpStatusCode.Created, true);
        var kept = Assert.IsType<byte[]>(_fixture.Grants.Find("google", user.Subject));
        using var again = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertTokenResponseAsync(again, HttpStatusCode.OK, true);

        // A returning member's login keeps the newer grant in the same statement that records the login: in the database.
        await using var db = await _fixture.Host.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        var replaced = Assert.IsType<byte[]>(await db.MemberIdentities
            .Where(i => i.Provider == "google" && i.Subject == user.Subject).Select(i => i.SealedGrant).SingleAsync(Ct));

        AssertHoldsNoSecret(kept, _fixture.Google);
        var grant = Unseal(kept);
        var newer = Unseal(replaced);
        Assert.Contains(grant.AccessToken, _fixture.Google.Secrets);
        Assert.True(grant.ExpiresAt > DateTimeOffset.UtcNow);
        Assert.NotEqual(grant.AccessToken, newer.AccessToken);
    }

    [Fact]
    public async Task Kakao_needs_no_member_token_so_none_is_kept()
    {
        _fixture.Kakao.NextUser = SocialFlowFixture.NewKakaoUser();
        using var client = _fixture.CreateClient();

        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");

        await AssertTokenResponseAsync(response, HttpStatusCode.Created, true);
        Assert.Equal(0, _fixture.Grants.Count);
    }

    [Fact]
    public async Task A_pending_signup_carries_the_grant_sealed_in_its_ticket_until_completion()
    {
        var user = NewGoogleUser() with { Email = null };
        _fixture.Google.NextUser = user;
        using var client = _fixture.CreateClient();

        using var pending = await SocialFlowFixture.HandOffAsync(client, "google");
        var signupToken = (await ReadJsonAsync(pending)).GetProperty("signupToken").GetString()!;
        Assert.Null(_fixture.Grants.Find("google", user.Subject));

        // What the ticket store holds for the pending sign-up: no provider token in clear.
        var tickets = _fixture.Host.Services.GetRequiredService<IOneTimeTicketStore>();
        var key = TicketKeys.For("signup", signupToken);
        var ticket = Assert.IsType<byte[]>(await tickets.TakeAsync(key, Ct));
        await tickets.StoreAsync(key, ticket, DateTimeOffset.UtcNow.AddMinutes(10), Ct);
        AssertHoldsNoSecret(ticket, _fixture.Google);

        using var done = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email = NewEmail("g"), refreshTokenDelivery = "body" }, Ct);
        await AssertTokenResponseAsync(done, HttpStatusCode.Created, true);

        var grant = Unseal(Assert.IsType<byte[]>(_fixture.Grants.Find("google", user.Subject)));
        Assert.Contains(grant.AccessToken, _fixture.Google.Secrets);
    }

    [Fact]
    public async Task Linking_a_provider_keeps_its_grant_sealed_too()
    {
        var user = NewGoogleUser();
        using var client = _fixture.CreateClient();
        var member = await _fixture.Bare.SignupAsync(client);

        var (status, _) = await LinkingTests.LinkAsync(client, member.AccessToken, "google");

        Assert.Equal(HttpStatusCode.OK, status);
        var grant = Unseal(Assert.IsType<byte[]>(_fixture.Grants.Find("google", user.Subject)));
        Assert.Contains(grant.AccessToken, _fixture.Google.Secrets);
    }

    [Fact]
    public async Task Sealed_grants_open_only_with_this_servers_master_key()
    {
        var user = NewGoogleUser();
        using var client = _fixture.CreateClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertTokenResponseAsync(response, HttpStatusCode.Created, true);

        var kept = _fixture.Grants.Find("google", user.Subject)!;

        Assert.Null(new ProviderGrantSealer(Gatehouse.Core.Keys.MasterKey.Generate()).TryUnseal(kept));
    }

    private FakeUser NewGoogleUser()
    {
        var user = FakeUser.For(FakeProviderKind.Google) with { Subject = "g" + RandomNumberGenerator.GetInt32(int.MaxValue), Email = SocialFlowFixture.NewEmail("g") };
        _fixture.Google.NextUser = user;
        return user;
    }

    private Gatehouse.Server.Social.ProviderGrant Unseal(byte[] sealedGrant) =>
        _fixture.Host.Services.GetRequiredService<ProviderGrantSealer>().TryUnseal(sealedGrant) ?? throw new Xunit.Sdk.XunitException("The kept grant does not open.");

    private static void AssertHoldsNoSecret(byte[] stored, FakeProviderServer provider)
    {
        var text = Encoding.UTF8.GetString(stored);
        var latin = Encoding.Latin1.GetString(stored);
        foreach (var secret in provider.Secrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, latin, StringComparison.Ordinal);
        }
    }
}
