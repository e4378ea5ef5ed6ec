extern alias GatehouseServer;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.AspNetCore.Tests;

/// <summary>
/// The sample product API trusting tokens issued by the real Gatehouse server (both in memory, the library's
/// backchannel routed to the server): discovery, JWKS, a key rotation and a logout as a product sees them.
/// </summary>
public sealed class RealGatehouseTests : IAsyncLifetime
{
    private const string Authority = "https://gatehouse.test";
    private const string AdminKey = "real-gatehouse-tests-admin-key-0123456789";
    private readonly string _database = Path.Combine(Path.GetTempPath(), "gh-aspnetcore-" + Guid.NewGuid().ToString("N") + ".db");
    private WebApplicationFactory<GatehouseServer::Program> _gatehouse = null!;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _apiClock = new(DateTimeOffset.UtcNow);
    private WebApplicationFactory<Program> _api = null!;

    public ValueTask InitializeAsync()
    {
        _gatehouse = new WebApplicationFactory<GatehouseServer::Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("Gatehouse:Tokens:Issuer", Authority);
            builder.UseSetting("Gatehouse:Keys:MasterKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            builder.UseSetting("Gatehouse:Keys:PublishAhead", "00:00:00");
            builder.UseSetting("Gatehouse:Admin:ApiKey", AdminKey);
            builder.UseSetting("ConnectionStrings:Gatehouse", "Data Source=" + _database);
        });
        _gatehouse.ClientOptions.BaseAddress = new Uri(Authority);
        _api = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Gatehouse:Authority", Authority);
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(_apiClock);
                services.PostConfigure<GatehouseAuthenticationOptions>(o => o.BackchannelHttpHandler = _gatehouse.Server.CreateHandler());
            });
        });
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_token_from_Gatehouse_opens_the_product_API_and_names_the_member_and_session()
    {
        var tokens = await SignupAsync();

        var hello = await CallAsync(tokens.AccessToken);

        Assert.Equal(HttpStatusCode.OK, hello.StatusCode);
        var body = await hello.Content.ReadFromJsonAsync<Hello>(TestContext.Current.CancellationToken);
        var me = await MeAsync(tokens.AccessToken);
        Assert.Equal(me.Id, body!.Sub);
        Assert.False(string.IsNullOrEmpty(body.Sid));
    }

    [Fact]
    public async Task A_token_signed_after_a_rotation_is_trusted_once_the_library_fetches_the_new_key()
    {
        var before = await SignupAsync();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(before.AccessToken)).StatusCode);

        using var admin = _gatehouse.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AdminKey", AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/admin/keys/rotate", null, TestContext.Current.CancellationToken)).StatusCode);
        var after = await SignupAsync();

        Assert.NotEqual(Kid(before.AccessToken), Kid(after.AccessToken));

        // Past the library's unknown-kid refetch limit (30 s by default), the new kid triggers one JWKS fetch.
        _apiClock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(after.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(before.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task A_forged_or_foreign_token_is_refused_by_the_product_API()
    {
        var tokens = await SignupAsync();
        var parts = tokens.AccessToken.Split('.');
        var tampered = parts[0] + "." + parts[1][..^2] + "AA." + parts[2];

        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(tampered)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(parts[0] + "." + parts[1] + ".")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(tokens.RefreshToken!)).StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _gatehouse.DisposeAsync();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }
    }

    private async Task<Tokens> SignupAsync()
    {
        using var client = _gatehouse.CreateClient();
        var response = await client.PostAsJsonAsync("/auth/signup", new { email = $"p{Guid.NewGuid():N}@example.com", password = "correct horse battery staple", nickname = "Product", refreshTokenDelivery = "body" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
    }

    private async Task<Me> MeAsync(string accessToken)
    {
        using var client = _gatehouse.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return (await client.GetFromJsonAsync<Me>("/members/me", TestContext.Current.CancellationToken))!;
    }

    private Task<HttpResponseMessage> CallAsync(string token)
    {
        var client = _api.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/hello");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Kid(string jwt) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(jwt).Kid;

    private sealed record Tokens(string AccessToken, string? RefreshToken);

    private sealed record Me(string Id);

    private sealed record Hello(string Message, string Sub, string Sid);
}
