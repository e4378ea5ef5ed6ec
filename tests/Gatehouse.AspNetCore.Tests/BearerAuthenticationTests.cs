using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gatehouse.AspNetCore.Tests.Infrastructure;
using Gatehouse.AspNetCore.Tokens;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Gatehouse.AspNetCore.Tests;

/// <summary>What a client of the sample API sees: the Gatehouse scheme in front of real endpoints.</summary>
public sealed class BearerAuthenticationTests
{
    [Fact]
    public async Task A_valid_token_reaches_the_endpoint_with_its_sub_and_sid()
    {
        await using var host = await SampleApiHost.StartAsync();
        var token = host.Issuer.Mint(sub: "mbr_A1b2C3d4E5f6G7h8I9j0kL", sid: "ses_Z9y8X7w6V5u4T3s2R1q0pO");

        using var response = await host.GetAsync("/api/hello", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken);
        Assert.NotNull(body);
        Assert.Equal("mbr_A1b2C3d4E5f6G7h8I9j0kL", (string?)body["sub"]);
        Assert.Equal("ses_Z9y8X7w6V5u4T3s2R1q0pO", (string?)body["sid"]);
        Assert.Contains("mbr_A1b2C3d4E5f6G7h8I9j0kL", (string?)body["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_token_gets_401_with_a_plain_bearer_challenge()
    {
        await using var host = await SampleApiHost.StartAsync();

        using var response = await host.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // RFC 6750 §3.1: no error code when the request carried no token.
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
    }

    [Fact]
    public async Task Public_and_health_endpoints_need_no_token()
    {
        await using var host = await SampleApiHost.StartAsync();

        using var publicResponse = await host.GetAsync("/api/public");
        using var live = await host.GetAsync("/health/live");
        using var ready = await host.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, publicResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("alg none")]
    [InlineData("HS256 keyed with the public key (SubjectPublicKeyInfo)")]
    [InlineData("HS256 keyed with the public key (uncompressed point)")]
    [InlineData("signature stripped")]
    [InlineData("payload tampered")]
    [InlineData("header tampered to another kid")]
    [InlineData("wrong iss")]
    [InlineData("wrong aud")]
    [InlineData("typ JWT")]
    [InlineData("no typ")]
    [InlineData("expired beyond the 30 s skew")]
    [InlineData("no exp")]
    [InlineData("not yet valid")]
    [InlineData("signed by another key under our kid")]
    [InlineData("no kid")]
    [InlineData("ES384 header")]
    [InlineData("not a JWT")]
    [InlineData("non-ASCII")]
    public async Task A_forged_or_unfit_token_gets_401_invalid_token(string forgery)
    {
        await using var host = await SampleApiHost.StartAsync();
        var token = Forge(host, forgery);

        using var response = await host.GetAsync("/api/hello", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_expired_within_the_skew_is_still_accepted()
    {
        await using var host = await SampleApiHost.StartAsync();
        var now = host.Time.GetUtcNow();
        var token = host.Issuer.Mint(d =>
        {
            d.IssuedAt = now.AddMinutes(-5).UtcDateTime;
            d.Expires = now.AddSeconds(-20).UtcDateTime;
        });

        using var response = await host.GetAsync("/api/hello", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_one_megabyte_token_is_refused_without_a_server_error(bool shapedLikeAJwt)
    {
        await using var host = await SampleApiHost.StartAsync();
        var filler = new string('A', 1024 * 1024);
        var token = shapedLikeAJwt ? $"{Jwt.Encode(Jwt.Header(host.Issuer.Mint()))}.{filler}.{filler[..86]}" : filler;

        using var response = await host.GetAsync("/api/hello", token);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.RequestHeaderFieldsTooLarge });
    }

    [Fact]
    public async Task The_http_pipeline_and_the_public_validator_share_one_cache()
    {
        await using var host = await SampleApiHost.StartAsync();
        var token = host.Issuer.Mint();

        // Two requests: a token is admitted to the cache on its second validation.
        using var response = await host.GetAsync("/api/hello", token);
        using var again = await host.GetAsync("/api/hello", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var fullValidations = host.Validator.FullValidations;

        var result = await host.Validator.ValidateAsync(token, TestContext.Current.CancellationToken);

        Assert.True(result.IsValid);
        Assert.Equal(fullValidations, host.Validator.FullValidations);
    }

    [Fact]
    public async Task JwtBearer_fetches_nothing_of_its_own_even_when_configuration_names_an_authority()
    {
        await using var host = await SampleApiHost.StartAsync(settings: new Dictionary<string, string>
        {
            ["Authentication:Schemes:Gatehouse:Authority"] = "https://elsewhere.example",
        });

        using var response = await host.GetAsync("/api/hello", host.Issuer.Mint());
        var options = host.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(GatehouseDefaults.AuthenticationScheme);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(options.ConfigurationManager);
        Assert.False(options.MapInboundClaims);
        Assert.IsType<GatehouseTokenHandler>(Assert.Single(options.TokenHandlers));
    }

    [Fact]
    public async Task The_demo_origin_may_call_the_api_with_a_bearer_token()
    {
        await using var host = await SampleApiHost.StartAsync();

        using var allowed = await PreflightAsync(host, "http://127.0.0.1:5080");
        using var other = await PreflightAsync(host, "https://evil.example");

        Assert.Equal("http://127.0.0.1:5080", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static async Task<HttpResponseMessage> PreflightAsync(SampleApiHost host, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/hello");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Forge(SampleApiHost host, string forgery)
    {
        var issuer = host.Issuer;
        var valid = issuer.Mint();
        var header = Jwt.Header(valid);
        var payload = Jwt.Payload(valid);
        var now = host.Time.GetUtcNow();
        switch (forgery)
        {
            case "alg none":
                header["alg"] = "none";
                return Jwt.Encode(header, payload);
            case "HS256 keyed with the public key (SubjectPublicKeyInfo)":
                return SignHs256(header, payload, issuer.KeyFor(issuer.CurrentKid).ExportSubjectPublicKeyInfo());
            case "HS256 keyed with the public key (uncompressed point)":
                var point = issuer.KeyFor(issuer.CurrentKid).ExportParameters(includePrivateParameters: false).Q;
                return SignHs256(header, payload, [0x04, .. point.X!, .. point.Y!]);
            case "signature stripped":
                return Jwt.Encode(header, payload);
            case "payload tampered":
                payload["sub"] = "mbr_SomeoneElse000000000A";
                return Jwt.Encode(header, payload, Jwt.Signature(valid));
            case "header tampered to another kid":
                var other = issuer.AddKey();
                header["kid"] = other;
                return Jwt.Encode(header, payload, Jwt.Signature(valid));
            case "wrong iss":
                return issuer.Mint(d => d.Issuer = "https://evil.example");
            case "wrong aud":
                return issuer.Mint(d => d.Audience = "some-other-api");
            case "typ JWT":
                return issuer.Mint(d => d.TokenType = "JWT");
            case "no typ":
                header.Remove("typ");
                return SignEs256(issuer, header, payload);
            case "expired beyond the 30 s skew":
                return issuer.Mint(d =>
                {
                    d.IssuedAt = now.AddMinutes(-6).UtcDateTime;
                    d.Expires = now.AddSeconds(-31).UtcDateTime;
                });
            case "no exp":
                return issuer.Mint(d => d.Expires = null);
            case "not yet valid":
                return issuer.Mint(d => d.NotBefore = now.AddMinutes(2).UtcDateTime);
            case "signed by another key under our kid":
                using (var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return issuer.Sign(new ECDsaSecurityKey(attacker) { KeyId = issuer.CurrentKid });
                }

            case "no kid":
                header.Remove("kid");
                return SignEs256(issuer, header, payload);
            case "ES384 header":
                header["alg"] = "ES384";
                return SignEs256(issuer, header, payload);
            case "not a JWT":
                return "this-is-not-a-jwt";
            case "non-ASCII":
                return valid[..^2] + "é";
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery), forgery, "Unknown forgery.");
        }
    }

    private static string SignHs256(JsonObject header, JsonObject payload, byte[] key)
    {
        header["alg"] = "HS256";
        var signingInput = $"{Jwt.Encode(header)}.{Jwt.Encode(payload)}";
        return $"{signingInput}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    // A real ES256 signature by the published key over a header the issuer would never write.
    private static string SignEs256(FakeIssuer issuer, JsonObject header, JsonObject payload)
    {
        var signingInput = $"{Jwt.Encode(header)}.{Jwt.Encode(payload)}";
        var signature = issuer.KeyFor(issuer.CurrentKid).SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return $"{signingInput}.{Base64UrlEncoder.Encode(signature)}";
    }
}
