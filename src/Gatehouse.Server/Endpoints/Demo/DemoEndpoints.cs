using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Demo;

/// <param name="Message">A greeting for the member the bearer token names.</param>
/// <param name="ExpiresAt">When the presented access token expires (its <c>exp</c>).</param>
public sealed record DemoHelloResponse(string Message, string Sub, string? Sid, DateTimeOffset? ExpiresAt);

/// <summary>
/// The demo page's "sample API": a protected endpoint as a product's own API would have one, so the demo can show
/// <c>client.fetch</c> carrying and renewing the access token. Development only (mapped beside the demo page) and kept
/// out of the OpenAPI description; it validates the bearer token exactly as every member endpoint does (signature
/// against the key ring, issuer, audience, lifetime), which is also what an API using Gatehouse.AspNetCore does.
/// </summary>
internal static class DemoEndpoints
{
    public const string HelloPath = "/demo/api/hello";

    public static RouteHandlerBuilder MapDemoEndpoints(this IEndpointRouteBuilder routes) =>
        routes.MapGet(HelloPath, Hello).RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy).ExcludeFromDescription();

    internal static Ok<DemoHelloResponse> Hello(HttpContext context)
    {
        var user = context.User;
        var sub = user.FindFirst("sub")!.Value;
        DateTimeOffset? expiresAt = long.TryParse(user.FindFirst("exp")?.Value, out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new DemoHelloResponse($"Hello, member {sub}: the sample API accepted your access token.", sub, user.FindFirst("sid")?.Value, expiresAt));
    }
}
