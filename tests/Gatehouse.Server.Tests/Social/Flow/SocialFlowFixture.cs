using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.AspNetCore.WebUtilities;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>
/// Gatehouse in memory with two providers pointing at fakes on loopback: <c>kakao</c> (plain OAuth 2) and
/// <c>google</c> (OpenID Connect, id tokens, RFC 9207 <c>iss</c> when switched on).
/// </summary>
public class SocialFlowFixture : IAsyncLifetime
{
    public const string Frontend = "https://app.example.test";
    public const string FrontendCallback = Frontend + "/callback";
    private readonly Action<IDictionary<string, string?>>? _configure;

    public SocialFlowFixture()
        : this(null)
    {
    }

    protected SocialFlowFixture(Action<IDictionary<string, string?>>? configure) => _configure = configure;

    public FakeProviderServer Kakao { get; private set; } = null!;

    public FakeProviderServer Google { get; private set; } = null!;

    public GatehouseFactory Factory { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Kakao = await FakeProviderServer.StartAsync(FakeProviderKind.Kakao);
        Google = await FakeProviderServer.StartAsync(FakeProviderKind.Google);
        Factory = new GatehouseFactory(s =>
        {
            Kakao.ApplyTo(s, "kakao");
            Google.ApplyTo(s, "google");
            _configure?.Invoke(s);
        });
        await Factory.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Kakao.DisposeAsync();
        await Google.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Back to well-behaved providers, each signing in a user nobody has used yet.</summary>
    public void Reset()
    {
        Kakao.Reset();
        Google.Reset();
        Kakao.NextUser = NewKakaoUser();
        Google.NextUser = FakeUser.For(FakeProviderKind.Google) with { Subject = "g" + RandomNumberGenerator.GetInt32(int.MaxValue), Email = NewEmail("g") };
    }

    public static FakeUser NewKakaoUser(string? email = null) =>
        FakeUser.For(FakeProviderKind.Kakao) with { Subject = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture), Email = email ?? NewEmail("k") };

    public static string NewEmail(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12] + "@example.com";

    /// <summary>Hand-off flow, first half: Gatehouse's authorization answer.</summary>
    public static async Task<(Uri Url, string State)> BeginAsync(HttpClient client, string provider, string redirectUri = FrontendCallback)
    {
        using var response = await client.PostAsJsonAsync($"/auth/social/{provider}/authorization", new { redirectUri }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"authorization: {(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        return (new Uri(body.RootElement.GetProperty("authorizationUrl").GetString()!), body.RootElement.GetProperty("state").GetString()!);
    }

    /// <summary>Hand-off flow, up to the code: begin, and let the fake provider approve.</summary>
    public static async Task<AuthorizationCallback> AuthorizeAsync(HttpClient client, string provider, string redirectUri = FrontendCallback)
    {
        var (url, state) = await BeginAsync(client, provider, redirectUri);
        var callback = await FakeProviderServer.AuthorizeAsync(url);
        Assert.Equal(state, callback.State);
        return callback;
    }

    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string provider, string? code, string? state, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["provider"] = provider, ["code"] = code, ["state"] = state, ["refreshTokenDelivery"] = "body" };
        if (extra is not null)
        {
            foreach (var property in extra.GetType().GetProperties())
            {
                body[property.Name] = property.GetValue(extra);
            }
        }

        return client.PostAsJsonAsync("/auth/login", body, TestContext.Current.CancellationToken);
    }

    /// <summary>The whole hand-off flow for the provider's next user; returns the answer of <c>POST /auth/login</c>.</summary>
    public static async Task<HttpResponseMessage> HandOffAsync(HttpClient client, string provider)
    {
        var callback = await AuthorizeAsync(client, provider);
        return await LoginAsync(client, provider, callback.Code, callback.State, new { iss = callback.Issuer });
    }

    /// <summary>The fragment of a redirect-flow landing, as a dictionary.</summary>
    public static Dictionary<string, string> Fragment(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new Xunit.Sdk.XunitException($"No Location on {(int)response.StatusCode}.");
        var fragment = location.IsAbsoluteUri ? location.Fragment : location.OriginalString[Math.Max(0, location.OriginalString.IndexOf('#', StringComparison.Ordinal))..];
        return QueryHelpers.ParseQuery(fragment.TrimStart('#')).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
    }
}

/// <summary>New members must share an email and have a nickname before they exist.</summary>
public sealed class RequiredFieldsSocialFlowFixture() : SocialFlowFixture(s =>
{
    s["Gatehouse:Social:RequiredFields:0"] = "email";
    s["Gatehouse:Social:RequiredFields:1"] = "nickname";
});

/// <summary>LinkByVerifiedEmail switched on.</summary>
public sealed class LinkByEmailSocialFlowFixture() : SocialFlowFixture(s => s["Gatehouse:Social:LinkByVerifiedEmail"] = "true");

/// <summary>A circuit that opens when half of at least two calls to a provider host failed, for 30 s.</summary>
public sealed class ProviderCircuitSocialFlowFixture() : SocialFlowFixture(s =>
{
    s["Gatehouse:Social:CircuitBreaker:MinimumThroughput"] = "2";
    s["Gatehouse:Social:CircuitBreaker:BreakDuration"] = "00:00:30";
});
