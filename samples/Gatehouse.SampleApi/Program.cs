using System.Security.Claims;
using Gatehouse.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

var authority = builder.Configuration["Gatehouse:Authority"] ?? "http://127.0.0.1:5080";
builder.Services.AddGatehouse(authority, options =>
    options.RequireHttpsMetadata = !(Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback));
builder.Services.AddAuthorization();
builder.Services.AddHealthChecks();

// The demo page is served by Gatehouse (another origin) and calls this API with a bearer token: no cookies, so no credentials mode.
var origins = builder.Configuration.GetSection("Cors:Origins").Get<string[]>() ?? [];
builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins(origins).WithMethods("GET").WithHeaders("Authorization")));

var app = builder.Build();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/api/hello", (ClaimsPrincipal user) =>
{
    var sub = user.FindFirstValue(GatehouseDefaults.SubjectClaim) ?? "";
    return TypedResults.Ok(new HelloResponse($"Hello, {sub}", sub, user.FindFirstValue(GatehouseDefaults.SessionIdClaim) ?? ""));
}).RequireAuthorization();
app.MapGet("/api/public", () => TypedResults.Ok(new PublicResponse("Anyone can read this.")));
app.MapHealthChecks("/health/live");
app.MapHealthChecks("/health/ready");

app.Run();

internal sealed record HelloResponse(string Message, string Sub, string Sid);

internal sealed record PublicResponse(string Message);

/// <summary>The entry point, public for <c>WebApplicationFactory&lt;Program&gt;</c> in the tests.</summary>
public partial class Program;
