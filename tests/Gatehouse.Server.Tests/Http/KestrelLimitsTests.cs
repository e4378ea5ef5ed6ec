using System.Globalization;
using System.Net;
using System.Text;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>Gatehouse on a real Kestrel on a loopback port: request limits are the server's, which the in-memory test server does not enforce.</summary>
public sealed class KestrelGatehouseFixture : IAsyncLifetime
{
    public GatehouseFactory Factory { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public TestMember Member { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Factory.UseKestrel(0);
        await Factory.InitializeAsync();
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)));
        using var client = CreateClient();
        Member = await Factory.SignupAsync(client);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class KestrelLimitsTests : IClassFixture<KestrelGatehouseFixture>
{
    private const int OneMegabyte = 1024 * 1024;
    private readonly KestrelGatehouseFixture _fixture;

    public KestrelLimitsTests(KestrelGatehouseFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string, string> BodyEndpoints() => new()
    {
        { "POST", "/auth/login" },
        { "POST", "/auth/signup" },
        { "POST", "/auth/token" },
        { "POST", "/auth/logout" },
        { "PATCH", "/members/me" },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_1_MB_JSON_body_is_413_payload_too_large(string method, string path)
    {
        var body = Encoding.UTF8.GetBytes(BigJson());
        var head = Head(method, path, "Content-Type: application/json", "Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture));

        var response = await RawHttp.SendAsync(_fixture.BaseAddress.Port, head, RawHttp.Split(body));

        AssertProblem(response, 413, "payload_too_large");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_1_MB_chunked_JSON_body_without_a_length_is_413()
    {
        var body = Encoding.UTF8.GetBytes(BigJson());
        var head = Head("POST", "/auth/login", "Content-Type: application/json", "Transfer-Encoding: chunked");

        var response = await RawHttp.SendAsync(_fixture.BaseAddress.Port, head, RawHttp.Chunked(body));

        AssertProblem(response, 413, "payload_too_large");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_body_under_the_limit_is_read()
    {
        using var client = _fixture.CreateClient();
        var json = "{\"email\":\"" + new string('a', 40 * 1024) + "@example.com\",\"password\":\"whatever passphrase\",\"refreshTokenDelivery\":\"body\"}";
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync("/auth/login", content, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Theory]
    [InlineData("Authorization", "Bearer ")]
    [InlineData("X-Padding", "")]
    [InlineData("Cookie", "gh_refresh=")]
    public async Task A_1_MB_header_is_431(string name, string prefix)
    {
        // The server must answer (and stop reading) long before this header ends.
        var head = Encoding.ASCII.GetBytes($"GET /members/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{name}: {prefix}");
        var header = Encoding.ASCII.GetBytes(new string('a', OneMegabyte));

        var response = await RawHttp.SendAsync(_fixture.BaseAddress.Port, head, [.. RawHttp.Split(header), "\r\n\r\n"u8.ToArray()]);

        Assert.True(response.Status is 431 or 400, $"Expected 431 (or 400) for a 1 MB {name} header, got {response.Status}.");
        await AssertStillServingAsync();
    }

    private static string BigJson() =>
        "{\"email\":\"a@example.com\",\"password\":\"" + new string('p', OneMegabyte) + "\",\"refreshToken\":\"" + new string('r', 86) + "\",\"nickname\":\"n\"}";

    private byte[] Head(string method, string path, params string[] headers) =>
        Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {_fixture.Member.AccessToken}\r\n{string.Join("\r\n", headers)}\r\n\r\n");

    private static void AssertProblem(RawHttp.Response response, int status, string error)
    {
        Assert.True(response.Status == status, $"Expected {status} {error}, got {response.Status}: {Truncate(response.Body)}");
        Assert.StartsWith("application/problem+json", response.Header("Content-Type") ?? "", StringComparison.OrdinalIgnoreCase);
        using var json = System.Text.Json.JsonDocument.Parse(response.Body);
        Assert.Equal(error, json.RootElement.GetProperty("error").GetString());
    }

    private async Task AssertStillServingAsync()
    {
        using var client = _fixture.CreateClient();
        await LoginForTokensAsync(client, _fixture.Member.Email);
    }
}
