using System.Text.Json;
using Gatehouse.Core.Keys;
using Gatehouse.Server.Endpoints.Admin;
using Gatehouse.Server.Endpoints.Auth;
using Gatehouse.Server.Endpoints.Demo;
using Gatehouse.Server.Endpoints.Discovery;
using Gatehouse.Server.Endpoints.Members;
using Gatehouse.Server.Endpoints.Social;
using Gatehouse.Server.Social.Development;
using Gatehouse.Server.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

namespace Gatehouse.Server.Hosting;

public static class GatehouseApplicationExtensions
{
    /// <summary>Applies migrations (unless switched off) and loads or creates the signing keys, before the first request.</summary>
    public static async Task InitializeGatehouseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.Services.InitializeGatehouseStorageAsync(cancellationToken);
        await app.Services.GetRequiredService<SigningKeyRing>().InitializeAsync(cancellationToken);
    }

    public static WebApplication UseGatehouse(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseJsonCharsetNormalization();
        var demo = Path.Combine(AppContext.BaseDirectory, "demo");
        if (app.Environment.IsDevelopment() && Directory.Exists(demo))
        {
            app.UseFileServer(new FileServerOptions { FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(demo) });
        }

        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapGatehouseEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapAuthEndpoints();
        app.MapMemberEndpoints();
        app.MapSocialEndpoints();

        // The built-in development provider signs in whoever the visitor says they are: Development only (and the
        // test environment); a configured `development` provider anywhere else stops start-up (AddGatehouse).
        if (app.Environment.IsDevelopment() || app.Environment.IsEnvironment("Testing"))
        {
            app.MapDevelopmentProvider();
        }

        // The demo page's sample API, beside the demo page itself (UseGatehouse): Development only.
        if (app.Environment.IsDevelopment())
        {
            app.MapDemoEndpoints();
        }

        app.MapAdminEndpoints();
        app.MapDiscoveryEndpoints();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync }).WithTags("Health");
        app.MapPrometheusScrapingEndpoint("/metrics");

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Gatehouse API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), durationMs = (long)e.Value.Duration.TotalMilliseconds }),
        }));
    }
}
