using Xunit;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>One <see cref="FakeProviderServer"/> per test class (<c>IClassFixture&lt;GoogleFake&gt;</c>); call <see cref="FakeProviderServer.Reset"/> between tests.</summary>
public abstract class FakeProviderFixture(FakeProviderKind kind) : IAsyncLifetime
{
    public FakeProviderServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await FakeProviderServer.StartAsync(kind);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class KakaoFake() : FakeProviderFixture(FakeProviderKind.Kakao);

public sealed class NaverFake() : FakeProviderFixture(FakeProviderKind.Naver);

public sealed class GoogleFake() : FakeProviderFixture(FakeProviderKind.Google);

public sealed class GitHubFake() : FakeProviderFixture(FakeProviderKind.GitHub);

public sealed class SlackFake() : FakeProviderFixture(FakeProviderKind.Slack);

public sealed class AppleFake() : FakeProviderFixture(FakeProviderKind.Apple);

public sealed class OpenIdConnectFake() : FakeProviderFixture(FakeProviderKind.OpenIdConnect);

public sealed class OAuth2Fake() : FakeProviderFixture(FakeProviderKind.OAuth2);

public sealed class DevelopmentFake() : FakeProviderFixture(FakeProviderKind.Development);
