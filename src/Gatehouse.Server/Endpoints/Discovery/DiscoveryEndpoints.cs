using System.Text;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Endpoints.Discovery;

/// <summary>What verifiers fetch: the JWKS (RFC 7517) and the discovery document (OpenID Connect Discovery 1.0 §3).</summary>
internal static class DiscoveryEndpoints
{
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] Algorithms = [SigningKeyRing.Algorithm];
    private static readonly string[] Claims = ["iss", "aud", "sub", "sid", "jti", "iat", "exp"];

    public static void MapDiscoveryEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/.well-known/jwks.json", Jwks).WithTags("Discovery").WithSummary("The public signing keys (JWKS).");
        routes.MapGet("/.well-known/openid-configuration", Configuration).WithTags("Discovery").WithSummary("The discovery document.");
    }

    internal static IResult Jwks(HttpContext context, SigningKeyRing ring)
    {
        // Short caching: a new key is published PublishAhead (1 h by default) before it signs.
        context.Response.Headers.CacheControl = "public, max-age=300";
        var json = new StringBuilder("{\"keys\":[");
        json.AppendJoin(',', ring.GetPublishedJwkJson());
        json.Append("]}");
        return Results.Text(json.ToString(), "application/json", Encoding.UTF8);
    }

    internal static IResult Configuration(HttpContext context, IOptionsMonitor<TokenOptions> tokens)
    {
        var issuer = tokens.CurrentValue.Issuer.TrimEnd('/');
        context.Response.Headers.CacheControl = "public, max-age=300";
        // The standard members describe what exists; Gatehouse's own JSON endpoints are not RFC 6749 token endpoints
        // (they take JSON, not forms), so they are listed under gatehouse_* names rather than passed off as such.
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = tokens.CurrentValue.Issuer,
            ["jwks_uri"] = issuer + "/.well-known/jwks.json",
            ["subject_types_supported"] = SubjectTypes,
            ["id_token_signing_alg_values_supported"] = Algorithms,
            ["access_token_signing_alg_values_supported"] = Algorithms,
            ["claims_supported"] = Claims,
            ["gatehouse_signup_endpoint"] = issuer + "/auth/signup",
            ["gatehouse_login_endpoint"] = issuer + "/auth/login",
            ["gatehouse_refresh_endpoint"] = issuer + "/auth/token",
            ["gatehouse_logout_endpoint"] = issuer + "/auth/logout",
            ["gatehouse_sessions_endpoint"] = issuer + "/auth/sessions",
            ["gatehouse_member_endpoint"] = issuer + "/members/me",
        });
    }
}
