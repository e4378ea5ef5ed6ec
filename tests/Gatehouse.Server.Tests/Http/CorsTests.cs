using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>CORS with credentials for the configured frontend origins only (<c>Gatehouse:Frontend:Origins</c>).</summary>
public sealed class CorsTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public CorsTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Theory]
    [InlineData("/auth/token", "POST", null)]
    [InlineData("/auth/login", "POST", "content-type")]
    [InlineData("/members/me", "PATCH", "authorization, content-type")]
    public async Task A_preflight_from_the_frontend_origin_is_allowed_with_credentials(string path, string method, string? headers)
    {
        using var client = _factory.CreateApiClient();
        using var request = Preflight(path, AllowedOrigin, method, headers);

        using var response = await client.SendAsync(request, Ct);

        Assert.True(response.IsSuccessStatusCode, $"Preflight answered {(int)response.StatusCode}.");
        Assert.Equal(AllowedOrigin, Single(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Single(response, "Access-Control-Allow-Credentials"));
        Assert.Contains(method, Single(response, "Access-Control-Allow-Methods")!.Split(',', StringSplitOptions.TrimEntries));
        if (headers is not null)
        {
            var allowed = Single(response, "Access-Control-Allow-Headers")!.Split(',', StringSplitOptions.TrimEntries);
            Assert.All(headers.Split(',', StringSplitOptions.TrimEntries), h => Assert.Contains(h, allowed, StringComparer.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://app.example.test.evil.example")]
    [InlineData("http://app.example.test")]
    [InlineData("https://app.example.test:8443")]
    [InlineData("null")]
    public async Task A_preflight_from_another_origin_gets_no_CORS_grant(string origin)
    {
        using var client = _factory.CreateApiClient();
        using var request = Preflight("/auth/token", origin, "POST", null);

        using var response = await client.SendAsync(request, Ct);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), "Allowed origin " + Single(response, "Access-Control-Allow-Origin"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task An_actual_request_from_the_frontend_origin_carries_the_CORS_grant()
    {
        using var browser = _factory.CreateBrowser();

        using var response = await browser.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "Cors" }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(AllowedOrigin, Single(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Single(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task An_actual_request_from_another_origin_carries_no_CORS_grant()
    {
        using var client = _factory.CreateBrowser(EvilOrigin);

        using var response = await client.GetAsync("/.well-known/jwks.json", Ct);
        using var login = await client.PostAsJsonAsync("/auth/login", new { email = NewEmail(), password = Password }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
        Assert.False(login.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(login.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    private static HttpRequestMessage Preflight(string path, string origin, string method, string? headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        return request;
    }

    private static string? Single(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values) ? Assert.Single(values) : null;
}
