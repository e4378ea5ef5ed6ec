using System.Net;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>The access token a client receives: an RFC 9068 ES256 JWT anyone can verify through the JWKS.</summary>
public sealed class AccessTokenTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public AccessTokenTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task The_header_is_ES256_at_jwt_with_a_kid_published_in_the_JWKS()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        var jwt = ReadJwt(member.AccessToken);

        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        var kids = (await GetJwksAsync(client)).Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Contains(jwt.Kid, kids);
    }

    [Fact]
    public async Task The_signature_verifies_with_the_published_key()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var keys = (await GetJwksAsync(client)).Select(k => (SecurityKey)new JsonWebKey(k.GetRawText())).ToList();

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(member.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = GatehouseFactory.Issuer,
            ValidAudience = "gatehouse",
            ValidAlgorithms = ["ES256"],
            ValidTypes = ["at+jwt"],
            IssuerSigningKeys = keys,
        });

        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task The_claims_are_exactly_iss_aud_sub_sid_jti_iat_exp_auth_time_with_a_15_minute_lifetime()
    {
        using var client = _factory.CreateApiClient();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var member = await _factory.SignupAsync(client);

        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(member.AccessToken.Split('.')[1])).RootElement;

        var names = payload.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["aud", "auth_time", "exp", "iat", "iss", "jti", "sid", "sub"], names);
        Assert.Equal(GatehouseFactory.Issuer, payload.GetProperty("iss").GetString());
        Assert.Equal("gatehouse", payload.GetProperty("aud").GetString());
        var iat = payload.GetProperty("iat").GetInt64();
        Assert.Equal(900, payload.GetProperty("exp").GetInt64() - iat);
        Assert.InRange(iat, before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(iat, payload.GetProperty("auth_time").GetInt64());
        Assert.Matches("^[A-Za-z0-9_-]{22}$", payload.GetProperty("sid").GetString());
        Assert.False(string.IsNullOrEmpty(payload.GetProperty("jti").GetString()));
    }

    [Fact]
    public async Task Sub_is_a_random_22_character_id_not_the_email_nor_a_number()
    {
        using var client = _factory.CreateApiClient();
        var first = await _factory.SignupAsync(client);
        var second = await _factory.SignupAsync(client);

        var sub = Claim(first.AccessToken, "sub");

        Assert.Matches("^[A-Za-z0-9_-]{22}$", sub);
        Assert.DoesNotMatch("^[0-9]+$", sub);
        Assert.DoesNotContain(first.Email.Split('@')[0], sub, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(sub, Claim(second.AccessToken, "sub"));
    }

    [Fact]
    public async Task Each_token_has_its_own_jti_and_each_login_its_own_sid()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);
        var login = await LoginForTokensAsync(client, member.Email);
        using var refreshed = await RefreshWithBodyAsync(client, login.RefreshToken!);
        var refreshedToken = (await AssertTokenResponseAsync(refreshed, HttpStatusCode.OK, refreshTokenInBody: true)).GetProperty("accessToken").GetString()!;

        Assert.Equal(3, new[] { member.AccessToken, login.AccessToken, refreshedToken }.Select(t => Claim(t, "jti")).Distinct().Count());
        Assert.NotEqual(Claim(member.AccessToken, "sid"), Claim(login.AccessToken, "sid"));

        // A refresh continues the session it belongs to.
        Assert.Equal(Claim(login.AccessToken, "sid"), Claim(refreshedToken, "sid"));
        Assert.Equal(Claim(login.AccessToken, "sub"), Claim(refreshedToken, "sub"));
    }

    private static async Task<List<JsonElement>> GetJwksAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/.well-known/jwks.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await ReadJsonAsync(response)).GetProperty("keys").EnumerateArray()];
    }
}
