using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Social.Providers;
using Gatehouse.Server.Tests.Resilience;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>
/// The provider layer as the host builds it (<c>AddGatehouseSocialProviders</c> over in-memory settings), pointed at a
/// fake provider; one container per test, so caches (discovery, keys) never leak between tests.
/// </summary>
public abstract class ProviderTestBase(FakeProviderServer fake, string providerName) : IAsyncLifetime
{
    private readonly List<ServiceProvider> _containers = [];

    protected FakeProviderServer Fake { get; } = fake;

    protected string ProviderName { get; } = providerName;

    internal LogCapture Logs { get; } = new();

    public ValueTask InitializeAsync()
    {
        Fake.Reset();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await container.DisposeAsync();
        }

        // Nothing secret may reach a log: codes, tokens, client secrets.
        var logged = Logs.ToString();
        foreach (var secret in Fake.Secrets)
        {
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Every provider: a code is single use (RFC 6749 §4.1.2), and a replay is the client's fault, not the provider's.</summary>
    [Fact]
    public async Task A_replayed_code_is_invalid_grant() =>
        Assert.Equal(OAuthErrors.InvalidGrant, (await ReplayFailsAsync(Provider())).Error);

    /// <summary>The clock of the containers built from now on; null: the system clock.</summary>
    protected TimeProvider? Clock { get; set; }

    /// <summary>The container's registry, with the fake's settings and <paramref name="configure"/>'s changes.</summary>
    internal ISocialProviderRegistry Registry(Action<IDictionary<string, string?>>? configure = null) =>
        Services(configure).GetRequiredService<ISocialProviderRegistry>();

    /// <summary>A container as the host builds the provider layer (with a master key of its own), with the fake's settings and <paramref name="configure"/>'s changes.</summary>
    internal ServiceProvider Services(Action<IDictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>(Fake.Settings(ProviderName), StringComparer.OrdinalIgnoreCase);
        configure?.Invoke(settings);
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(Logs));
        services.AddSingleton(MasterKey.Generate());
        if (Clock is not null)
        {
            services.AddSingleton<TimeProvider>(Clock);
        }

        services.AddGatehouseSocialProviders(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var container = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _containers.Add(container);
        return container;
    }

    internal ISocialProvider Provider(Action<IDictionary<string, string?>>? configure = null) =>
        Registry(configure).TryGet(ProviderName, out var provider) ? provider : throw new InvalidOperationException($"{ProviderName} is not enabled.");

    /// <summary>Begins a login and follows the authorization URL like a browser: the code (and state) the provider sent back.</summary>
    internal static async Task<(LoginAttempt Attempt, AuthorizationCallback Callback)> AuthorizeAsync(ISocialProvider provider)
    {
        var attempt = LoginAttempt.New();
        var url = await provider.BuildAuthorizationUrlAsync(attempt.Parameters, TestContext.Current.CancellationToken);
        var callback = await FakeProviderServer.AuthorizeAsync(url);
        Assert.Equal(attempt.State, callback.State);
        return (attempt, callback);
    }

    /// <summary>A whole login: authorize, then redeem the code.</summary>
    internal static async Task<ExternalProfile> LoginAsync(ISocialProvider provider) => (await RedeemAsync(provider)).Profile;

    /// <summary>A whole login: the profile and the provider's tokens.</summary>
    internal static async Task<ProviderRedemption> RedeemAsync(ISocialProvider provider)
    {
        var (attempt, callback) = await AuthorizeAsync(provider);
        return await provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken);
    }

    internal static async Task<SocialProviderException> LoginFailsAsync(ISocialProvider provider) =>
        await Assert.ThrowsAsync<SocialProviderException>(() => LoginAsync(provider));

    /// <summary>Redeems one code twice (the second time as a replay would): what the second redemption threw.</summary>
    internal static async Task<SocialProviderException> ReplayFailsAsync(ISocialProvider provider)
    {
        var (attempt, callback) = await AuthorizeAsync(provider);
        await provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken);
        return await Assert.ThrowsAsync<SocialProviderException>(() => provider.RedeemAsync(attempt.Redemption(callback), TestContext.Current.CancellationToken));
    }
}

/// <summary>What the flow keeps between leaving for the provider and coming back.</summary>
internal sealed record LoginAttempt(string State, string Verifier, string Nonce, string RedirectUri)
{
    public const string DefaultRedirectUri = "https://app.example.test/auth/callback";

    public string Challenge => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public AuthorizationParameters Parameters => new(State, Challenge, Nonce, RedirectUri);

    public static LoginAttempt New(string redirectUri = DefaultRedirectUri) => new(Random(), Random(), Random(), redirectUri);

    public CodeRedemption Redemption(AuthorizationCallback callback, string? verifier = null) =>
        new(callback.Code ?? throw new InvalidOperationException($"No code: {callback.Error}"), RedirectUri, verifier ?? Verifier, Nonce, callback.User, callback.State);

    public static string Random() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
