using System.Net;
using System.Security.Cryptography;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// The Kakao, Google, GitHub and Apple fakes (real Kestrel servers with their revocation endpoints) for the end-to-end
/// tests of provider deprovisioning and revocation: every component of Gatehouse is the real one.
/// </summary>
public sealed class EndToEndProviders : IAsyncLifetime
{
    public const string KakaoAppId = "7654321";

    public Dictionary<string, FakeProviderServer> Fakes { get; } = new(StringComparer.Ordinal);

    public FakeProviderServer Kakao => Fakes["kakao"];

    public FakeProviderServer Apple => Fakes["apple"];

    public async ValueTask InitializeAsync()
    {
        foreach (var (name, kind) in new[] { ("kakao", FakeProviderKind.Kakao), ("google", FakeProviderKind.Google), ("github", FakeProviderKind.GitHub), ("apple", FakeProviderKind.Apple) })
        {
            Fakes[name] = await FakeProviderServer.StartAsync(kind);
        }
    }

    /// <summary>Back to well-behaved fakes with no revocation recorded.</summary>
    public void Reset()
    {
        foreach (var fake in Fakes.Values)
        {
            fake.Reset();
        }
    }

    /// <summary>A Gatehouse (fast outbox, see <see cref="WithdrawalHost"/>) with the four providers and <paramref name="receiver"/> as webhook endpoint.</summary>
    public Task<GatehouseFactory> StartHostAsync(WebhookReceiver? receiver) =>
        WithdrawalHost.StartAsync(receiver, s =>
        {
            foreach (var (name, fake) in Fakes)
            {
                fake.ApplyTo(s, name);
            }

            s["Gatehouse:Social:Providers:kakao:AppId"] = KakaoAppId;
        });

    /// <summary>Makes <paramref name="provider"/>'s fake approve a user nobody has used yet; returns it.</summary>
    public FakeUser NextUser(string provider)
    {
        var fake = Fakes[provider];
        var subject = fake.Kind switch
        {
            FakeProviderKind.Kakao or FakeProviderKind.GitHub => RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
            FakeProviderKind.Apple => $"001234.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.0123",
            _ => "1" + RandomNumberGenerator.GetInt32(int.MaxValue),
        };
        fake.NextUser = FakeUser.For(fake.Kind) with { Subject = subject, Email = NewEmail(provider[..1]) };
        return fake.NextUser;
    }

    /// <summary>Signs the next user of <paramref name="provider"/> up through the hand-off flow; returns the tokens.</summary>
    public async Task<(FakeUser User, string AccessToken, string RefreshToken)> SignUpAsync(HttpClient client, string provider)
    {
        var user = NextUser(provider);
        using var response = await Social.Flow.SocialFlowFixture.HandOffAsync(client, provider);
        var body = await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: true);
        return (user, body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!);
    }

    /// <summary>A member with a password who linked the next user of <paramref name="provider"/>.</summary>
    public async Task<(TestMember Member, FakeUser User)> SignUpWithPasswordAndLinkAsync(GatehouseFactory factory, HttpClient client, string provider)
    {
        var member = await factory.SignupAsync(client);
        var user = NextUser(provider);
        var (status, body) = await Social.Flow.LinkingTests.LinkAsync(client, member.AccessToken, provider);
        Assert.True(status == HttpStatusCode.OK, $"linking {provider}: {(int)status} {body}");
        Assert.Contains(provider, await IdentitiesAsync(client, member.AccessToken));
        return (member, user);
    }

    /// <summary>The providers <c>GET /members/me</c> lists.</summary>
    public static async Task<IReadOnlyList<string>> IdentitiesAsync(HttpClient client, string accessToken)
    {
        using var response = await SendBearerAsync(client, HttpMethod.Get, "/members/me", accessToken);
        var body = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. body.GetProperty("identities").EnumerateArray().Select(i => i.GetProperty("provider").GetString()!)];
    }

    /// <summary>Whether the database still has the identity row (and with it the sealed grant).</summary>
    public static async Task<bool> IdentityStoredAsync(GatehouseFactory factory, string provider, string subject)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        return await db.MemberIdentities.AnyAsync(i => i.Provider == provider && i.Subject == subject, Ct);
    }

    /// <summary>The note the dispatcher wrote on the entry's first attempt ("Withdrawn", "Unlinked", "NotLinked", "Revoked.", …).</summary>
    public static async Task<string?> FirstAttemptNoteAsync(HttpClient admin, System.Text.Json.JsonElement entry)
    {
        var detail = await WithdrawalHost.GetJsonAsync(admin, $"/admin/outbox/entries/{entry.GetProperty("id").GetInt64()}");
        return detail.GetProperty("attempts")[0].GetProperty("error").GetString();
    }

    /// <summary>Asserts the member is gone: the access token and the refresh token are refused.</summary>
    public static async Task AssertTombstonedAsync(HttpClient client, string accessToken, string refreshToken)
    {
        using (var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", accessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        await AssertRefreshFailsAsync(client, refreshToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var fake in Fakes.Values)
        {
            await fake.DisposeAsync();
        }
    }
}
