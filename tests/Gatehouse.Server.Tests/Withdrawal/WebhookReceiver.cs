using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>One request the receiver got, as it arrived.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string Body, int AnsweredWith, DateTimeOffset At)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Type => Json.GetProperty("type").GetString();

    public string? Data(string name) => Json.GetProperty("data").TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// A product's webhook endpoint: a real Kestrel server on loopback that records every request. It can be down for a
/// while (answers 503), slow, and it notes when two requests with one <c>webhook-id</c> were in flight at once.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private int _overlaps;


    /// <summary>A fresh <c>whsec_</c> secret of 32 random bytes, as an operator would configure it.</summary>
    public string Secret { get; } = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Url { get; private set; } = null!;

    /// <summary>While true every request is answered 503 (recorded all the same).</summary>
    public bool Down { get; set; }

    public TimeSpan Delay { get; set; }

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>The requests answered 2xx: what the product processed.</summary>
    public IReadOnlyList<ReceivedWebhook> Delivered => [.. _received.Where(r => r.AnsweredWith == 200)];

    /// <summary>How often a request arrived while another with the same <c>webhook-id</c> was still being answered.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var app = await receiver.ListenAsync("http://127.0.0.1:0");
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hooks";
        return receiver;
    }

    /// <summary>Stops listening altogether: connections are refused until <see cref="ComeBackAsync"/>.</summary>
    public async Task GoOfflineAsync()
    {
        var app = _app!;
        _app = null;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>Listens again on the same address.</summary>
    public Task ComeBackAsync() => ListenAsync(new Uri(Url).GetLeftPart(UriPartial.Authority));

    private async Task<WebApplication> ListenAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/hooks", HandleAsync);
        await app.StartAsync();
        _app = app;
        return app;
    }

    /// <summary><c>Gatehouse:Webhooks:Endpoints:&lt;index&gt;:*</c> for this receiver.</summary>
    public void ApplyTo(IDictionary<string, string?> settings, int index = 0)
    {
        settings[$"Gatehouse:Webhooks:Endpoints:{index}:Url"] = Url;
        settings[$"Gatehouse:Webhooks:Endpoints:{index}:Secret"] = Secret;
    }

    /// <summary>The same, as environment variables for a server process.</summary>
    public void ApplyToEnvironment(IDictionary<string, string> environment, int index = 0)
    {
        environment[$"Gatehouse__Webhooks__Endpoints__{index}__Url"] = Url;
        environment[$"Gatehouse__Webhooks__Endpoints__{index}__Secret"] = Secret;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over what was delivered; fails with what arrived if it does not.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var delivered = Delivered;
            if (condition(delivered))
            {
                return delivered;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"Waited {timeout.TotalSeconds:F0} s for {what}; received: " + string.Join(", ", Received.Select(r => $"{r.Type}/{r.Id}→{r.AnsweredWith}")));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await GoOfflineAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = context.Request.Headers["webhook-id"].ToString();
        if (_inFlight.AddOrUpdate(id, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        try
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay);
            }

            var status = Down ? 503 : 200;
            _received.Enqueue(new ReceivedWebhook(id, context.Request.Headers["webhook-timestamp"], context.Request.Headers["webhook-signature"], body, status, DateTimeOffset.UtcNow));
            context.Response.StatusCode = status;
        }
        finally
        {
            _inFlight.AddOrUpdate(id, 0, (_, n) => n - 1);
        }
    }
}

/// <summary>
/// The verification docs/webhooks.md tells a receiver to do, written out independently of Gatehouse's code:
/// HMAC-SHA256 with the bytes after <c>whsec_</c> over <c>id.timestamp.body</c>, compared in constant time with each
/// <c>v1,</c> signature of the header.
/// </summary>
public static class StandardWebhooks
{
    public static bool Verify(string secret, string? id, string? timestamp, string? signatureHeader, string body)
    {
        if (id is null || timestamp is null || signatureHeader is null || !secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1" && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(parts[1])))
            {
                return true;
            }
        }

        return false;
    }
}
