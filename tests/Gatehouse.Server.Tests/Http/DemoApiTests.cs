using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// The demo page's sample API (<c>GET /demo/api/hello</c>) and the demo page itself exist in Development only; here,
/// outside it, neither answers. (In Development, tests/Gatehouse.Browser.Tests covers the endpoint.)
/// </summary>
public sealed class DemoApiTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public DemoApiTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Outside_Development_there_is_no_sample_API_and_no_demo_page()
    {
        using var client = _factory.CreateApiClient();

        using var api = await client.GetAsync("/demo/api/hello", Ct);
        using var bundle = await client.GetAsync("/lib/gatehouse-client.js", Ct);

        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bundle.StatusCode);
    }
}
