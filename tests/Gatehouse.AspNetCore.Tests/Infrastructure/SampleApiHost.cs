using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gatehouse.AspNetCore.Tests.Infrastructure;

/// <summary>The sample product API in memory, trusting a <see cref="FakeIssuer"/>, on a clock the test moves.</summary>
internal sealed class SampleApiHost : IAsyncDisposable
{
    private readonly Factory _factory;

    private SampleApiHost(FakeTimeProvider time, FakeIssuer issuer, Action<GatehouseAuthenticationOptions>? configure, IReadOnlyDictionary<string, string>? settings)
    {
        Time = time;
        Issuer = issuer;
        _factory = new Factory(this, configure, settings);
        try
        {
            Client = _factory.CreateClient();
        }
        catch
        {
            _factory.Dispose();
            throw;
        }
    }

    public FakeTimeProvider Time { get; }

    public FakeIssuer Issuer { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public GatehouseTokenValidator Validator => Services.GetRequiredService<GatehouseTokenValidator>();

    public static async Task<SampleApiHost> StartAsync(Action<GatehouseAuthenticationOptions>? configure = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var issuer = await FakeIssuer.StartAsync(time);
        try
        {
            return new SampleApiHost(time, issuer, configure, settings);
        }
        catch
        {
            await issuer.DisposeAsync();
            throw;
        }
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Waits for a background key fetch the library may have started.</summary>
    public Task KeyFetchSettledAsync() => Validator.Metadata.PendingFetch.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        await Issuer.DisposeAsync();
    }

    private sealed class Factory(SampleApiHost host, Action<GatehouseAuthenticationOptions>? configure, IReadOnlyDictionary<string, string>? settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Gatehouse:Authority", FakeIssuer.Authority);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(host.Time);
                services.PostConfigure<GatehouseAuthenticationOptions>(options =>
                {
                    options.BackchannelHttpHandler = host.Issuer.CreateHandler();
                    configure?.Invoke(options);
                });
            });
        }
    }
}
