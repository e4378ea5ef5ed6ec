using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>One Gatehouse with every preset and both generic kinds configured, each pointing at its own fake.</summary>
public sealed class EveryProviderFixture : IAsyncLifetime
{
    public static readonly (string Name, FakeProviderKind Kind)[] Providers =
    [
        ("kakao", FakeProviderKind.Kakao), ("naver", FakeProviderKind.Naver), ("google", FakeProviderKind.Google),
        ("github", FakeProviderKind.GitHub), ("slack", FakeProviderKind.Slack), ("apple", FakeProviderKind.Apple),
        ("corp", FakeProviderKind.OpenIdConnect), ("legacy", FakeProviderKind.OAuth2),
    ];

    public Dictionary<string, FakeProviderServer> Fakes { get; } = new(StringComparer.Ordinal);

    public GatehouseFactory Factory { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        foreach (var (name, kind) in Providers)
        {
            Fakes[name] = await FakeProviderServer.StartAsync(kind);
        }

        Factory = new GatehouseFactory(s =>
        {
            foreach (var (name, fake) in Fakes)
            {
                fake.ApplyTo(s, name);
            }
        });
        await Factory.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        foreach (var fake in Fakes.Values)
        {
            await fake.DisposeAsync();
        }
    }
}

/// <summary>
/// Every provider through the one pipeline, as a user would go: the hand-off flow to a member and back to the same
/// member, and the server-redirect flow (Apple's answer a form POST to Gatehouse's callback).
/// </summary>
public sealed class EveryProviderEndToEndTests : IClassFixture<EveryProviderFixture>
{
    private readonly EveryProviderFixture _fixture;

    public EveryProviderEndToEndTests(EveryProviderFixture fixture)
    {
        _fixture = fixture;
        foreach (var fake in fixture.Fakes.Values)
        {
            fake.Reset();
        }
    }

    public static TheoryData<string> Names => new(EveryProviderFixture.Providers.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Hand_off_signs_up_then_logs_the_same_member_in(string provider)
    {
        var fake = _fixture.Fakes[provider];
        fake.NextUser = fake.NextUser with { Subject = NewSubject(fake.Kind), Email = SocialFlowFixture.NewEmail(provider) };
        var user = fake.NextUser;
        using var client = _fixture.Factory.CreateApiClient();
        using var first = await HandOffAsync(client, provider);
        var created = await AssertTokenResponseAsync(first, HttpStatusCode.Created, true);
        var member = HandOffFlowTests.AccessTokenSubject(created.GetProperty("accessToken").GetString()!);

        fake.NextUser = user;
        using var second = await HandOffAsync(client, provider);
        var again = await AssertTokenResponseAsync(second, HttpStatusCode.OK, true);
        Assert.Equal(member, HandOffFlowTests.AccessTokenSubject(again.GetProperty("accessToken").GetString()!));

        var me = await HandOffFlowTests.GetMeAsync(client, again.GetProperty("accessToken").GetString()!);
        var identity = Assert.Single(me.GetProperty("identities").EnumerateArray());
        Assert.Equal(provider, identity.GetProperty("provider").GetString());
        Assert.Equal(user.Email, identity.GetProperty("email").GetString());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_server_redirect_flow_lands_with_a_session(string provider)
    {
        var fake = _fixture.Fakes[provider];
        fake.NextUser = fake.NextUser with { Subject = NewSubject(fake.Kind), Email = SocialFlowFixture.NewEmail(provider) };
        using var browser = _fixture.Factory.CreateBrowser();
        using var start = await browser.GetAsync($"/auth/social/{provider}/start?returnTo=" + Uri.EscapeDataString(SocialFlowFixture.Frontend + "/welcome"), Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await FakeProviderServer.AuthorizeAsync(start.Headers.Location!);
        Assert.Equal(provider == "apple", callback.FormPost);

        using var landing = callback.FormPost
            ? await browser.PostAsync(callback.RedirectUri.AbsolutePath, callback.ToForm(), Ct)
            : await browser.GetAsync(callback.RedirectUri.PathAndQuery + (callback.RedirectUri.Query.Length > 0 ? "&" : "?") + Query(callback), Ct);
        Assert.Equal(HttpStatusCode.Redirect, landing.StatusCode);
        Assert.StartsWith(SocialFlowFixture.Frontend + "/welcome#", landing.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("signed_up", SocialFlowFixture.Fragment(landing)["status"]);
        AssertRefreshCookie(landing);
    }

    [Fact]
    public async Task Apple_sends_the_name_only_on_the_first_login_and_Gatehouse_keeps_it()
    {
        var fake = _fixture.Fakes["apple"];
        fake.NextUser = fake.NextUser with { Subject = NewSubject(fake.Kind), Name = "Jane Appleseed" };
        var user = fake.NextUser;
        using var client = _fixture.Factory.CreateApiClient();
        using var first = await HandOffAsync(client, "apple");
        var access = (await AssertTokenResponseAsync(first, HttpStatusCode.Created, true)).GetProperty("accessToken").GetString()!;
        Assert.Equal("Jane Appleseed", (await HandOffFlowTests.GetMeAsync(client, access)).GetProperty("nickname").GetString());

        fake.NextUser = user;
        using var second = await HandOffAsync(client, "apple");
        var again = (await AssertTokenResponseAsync(second, HttpStatusCode.OK, true)).GetProperty("accessToken").GetString()!;
        Assert.Equal("Jane Appleseed", (await HandOffFlowTests.GetMeAsync(client, again)).GetProperty("nickname").GetString());
        Assert.True(fake.VerifiedClientSecrets >= 2, "Apple's token endpoint verified the ES256 client secret Gatehouse signed.");
    }

    [Fact]
    public async Task Cancelling_at_Apple_is_login_cancelled()
    {
        var fake = _fixture.Fakes["apple"];
        fake.DenyNextAuthorization = true;
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "apple");
        using var response = await SocialFlowFixture.LoginAsync(client, "apple", callback.Code, callback.State, new { error = callback.Error });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "login_cancelled");
    }

    /// <summary>The hand-off flow with whatever the provider sent back (Apple's form fields included).</summary>
    private static async Task<HttpResponseMessage> HandOffAsync(HttpClient client, string provider)
    {
        var callback = await SocialFlowFixture.AuthorizeAsync(client, provider);
        return await SocialFlowFixture.LoginAsync(client, provider, callback.Code, callback.State, new { iss = callback.Issuer, user = callback.User });
    }

    private static string Query(AuthorizationCallback callback) =>
        string.Join('&', callback.Parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    private static string NewSubject(FakeProviderKind kind) =>
        kind is FakeProviderKind.Kakao or FakeProviderKind.GitHub or FakeProviderKind.OAuth2
            ? System.Security.Cryptography.RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "u" + Guid.NewGuid().ToString("N");
}
