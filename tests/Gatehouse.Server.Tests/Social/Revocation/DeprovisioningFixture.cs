using System.Collections.Concurrent;
using Gatehouse.Core.Social;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Server.Tests.Social.Revocation;

/// <summary>
/// Gatehouse in memory with kakao (admin key, app id), google and apple on fakes (and kakao-nokey, without an admin key), signing up only with an email, and
/// the two collaborators the withdrawal branch provides registered as small test implementations at that boundary:
/// a grant store and a deprovisioning handler that keep what they are given. <see cref="Bare"/> is the same host
/// without them (as the server runs until the withdrawal side is there).
/// </summary>
public sealed class DeprovisioningFixture : IAsyncLifetime
{
    public const string KakaoAppId = "1234567";
    public const string AppleAppId = "com.example.app";

    public FakeProviderServer Kakao { get; private set; } = null!;

    public FakeProviderServer Google { get; private set; } = null!;

    public FakeProviderServer Apple { get; private set; } = null!;

    public GatehouseFactory Bare { get; private set; } = null!;

    public WebApplicationFactory<Program> Host { get; private set; } = null!;

    public RecordingDeprovisioning Deprovisioning { get; } = new();

    public KeepingGrantStore Grants { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Kakao = await FakeProviderServer.StartAsync(FakeProviderKind.Kakao);
        Google = await FakeProviderServer.StartAsync(FakeProviderKind.Google);
        Apple = await FakeProviderServer.StartAsync(FakeProviderKind.Apple);
        Bare = new GatehouseFactory(s =>
        {
            Kakao.ApplyTo(s, "kakao");
            Google.ApplyTo(s, "google");
            Apple.ApplyTo(s, "apple");
            s["Gatehouse:Social:Providers:kakao:AppId"] = KakaoAppId;
            s["Gatehouse:Social:Providers:apple:AppId"] = AppleAppId;

            // A second Kakao app whose admin key is not configured.
            s["Gatehouse:Social:Providers:kakao-nokey:Kind"] = "kakao";
            s["Gatehouse:Social:Providers:kakao-nokey:ClientId"] = "another-rest-api-key";
            s["Gatehouse:Social:RequiredFields:0"] = "email";
        });
        await Bare.InitializeAsync();
        Host = Bare.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IProviderDeprovisioning>(Deprovisioning);
            services.AddSingleton<IProviderGrantStore>(Grants);
        }));
    }

    public HttpClient CreateClient(WebApplicationFactory<Program>? host = null) =>
        (host ?? Host).CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(GatehouseFactory.Issuer), HandleCookies = false, AllowAutoRedirect = false });

    public void Reset()
    {
        Kakao.Reset();
        Google.Reset();
        Apple.Reset();
        Deprovisioning.Clear();
        Deprovisioning.Delay = TimeSpan.Zero;
        Grants.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await Bare.DisposeAsync();
        await Kakao.DisposeAsync();
        await Google.DisposeAsync();
        await Apple.DisposeAsync();
    }
}

/// <summary>The deprovisioning boundary: writes each request down (after <see cref="Delay"/>, to play a slow store).</summary>
public sealed class RecordingDeprovisioning : IProviderDeprovisioning
{
    private readonly ConcurrentQueue<(string Provider, string Subject, string Reason)> _recorded = new();

    public TimeSpan Delay { get; set; }

    public IReadOnlyList<(string Provider, string Subject, string Reason)> Recorded => [.. _recorded];

    public async Task RecordAsync(string provider, string subject, string reason, CancellationToken cancellationToken)
    {
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        _recorded.Enqueue((provider, subject, reason));
    }

    public void Clear() => _recorded.Clear();
}

/// <summary>The grant store boundary: keeps the last sealed grant of each (provider, subject), as given.</summary>
public sealed class KeepingGrantStore : IProviderGrantStore
{
    private readonly ConcurrentDictionary<(string Provider, string Subject), byte[]> _grants = new();

    public byte[]? Find(string provider, string subject) => _grants.GetValueOrDefault((provider, subject));

    public int Count => _grants.Count;

    public Task SaveAsync(string provider, string subject, byte[] sealedGrant, CancellationToken cancellationToken)
    {
        _grants[(provider, subject)] = sealedGrant.ToArray();
        return Task.CompletedTask;
    }

    public void Clear() => _grants.Clear();
}
