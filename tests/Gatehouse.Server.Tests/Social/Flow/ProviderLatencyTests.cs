using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>
/// Seed 004: a call to a provider holds no database connection. With a pool of two PostgreSQL connections (and a
/// two-second wait for one), twelve logins whose provider takes 1.5 s to exchange the code all complete: if each held a
/// connection through the provider call, ten of them would wait 1.5 s or more per turn and time out.
/// </summary>
public sealed class ProviderLatencyTests : IAsyncLifetime
{
    private FakeProviderServer _kakao = null!;
    private GatehouseFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.SkipUnless(TestEnvironment.IsDistributed, "Needs PostgreSQL's connection pool: runs in the distributed profile.");
        _kakao = await FakeProviderServer.StartAsync(FakeProviderKind.Kakao);
        _factory = new GatehouseFactory(s =>
        {
            _kakao.ApplyTo(s, "kakao");
            s["ConnectionStrings:Gatehouse"] += ";Maximum Pool Size=2;Timeout=2";
        });
        await _factory.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
            await _kakao.DisposeAsync();
        }
    }

    [Fact]
    public async Task Twelve_logins_with_a_slow_provider_share_two_database_connections()
    {
        using var client = _factory.CreateApiClient();
        var callbacks = new List<AuthorizationCallback>();
        for (var i = 0; i < 12; i++)
        {
            _kakao.NextUser = SocialFlowFixture.NewKakaoUser();
            callbacks.Add(await SocialFlowFixture.AuthorizeAsync(client, "kakao"));
        }

        _kakao.SlowDelay = TimeSpan.FromSeconds(1.5);
        _kakao.Fault(FakeEndpoint.Token, FakeFault.Slow);
        var responses = await Task.WhenAll(callbacks.Select(c => SocialFlowFixture.LoginAsync(client, "kakao", c.Code, c.State)));
        foreach (var response in responses)
        {
            using (response)
            {
                await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: true);
            }
        }
    }
}
