using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// Access tokens that must not pass: each is a 401 with <c>WWW-Authenticate: Bearer error="invalid_token"</c> (RFC 6750
/// §3) and a problem body, never a 500, and the host keeps serving.
/// </summary>
public sealed class HostileBearerTokenTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFixture _fixture;

    public HostileBearerTokenTests(GatehouseFixture fixture)
    {
        _fixture = fixture;
    }

    private GatehouseFactory Factory => _fixture.Factory;

    private string Genuine => _fixture.Member.AccessToken;

    [Fact]
    public async Task The_genuine_token_and_a_re_signed_copy_pass()
    {
        // Controls for the forgeries below: the forging helper itself makes tokens the server accepts.
        var resigned = TokenForgery.SignWithServerKey(Factory, TokenForgery.Header(Genuine), TokenForgery.Payload(Genuine));

        await AssertAcceptedAsync(Genuine);
        await AssertAcceptedAsync(resigned);
    }

    public static TheoryData<string> Garbage() =>
    [
        "garbage",
        "a.b.c",
        "....",
        "eyJhbGciOiJFUzI1NiJ9",
        new string('A', 5000),
        "Bearer nested",
    ];

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task A_garbage_token_is_rejected(string token) => await AssertRejectedAsync(token);

    [Fact]
    public async Task A_token_with_alg_none_is_rejected()
    {
        var header = TokenForgery.With(TokenForgery.Header(Genuine), "alg", "none");

        await AssertRejectedAsync(TokenForgery.Unsigned(header, TokenForgery.Payload(Genuine)));
        await AssertRejectedAsync(TokenForgery.Unsigned(TokenForgery.With(header, "alg", "None"), TokenForgery.Payload(Genuine)));
    }

    [Fact]
    public async Task A_token_HS256_signed_with_the_public_key_is_rejected()
    {
        using var client = Factory.CreateApiClient();
        using var jwks = await client.GetAsync("/.well-known/jwks.json", Ct);
        var kid = ReadJwt(Genuine).Kid;
        var jwk = (await ReadJsonAsync(jwks)).GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        var header = TokenForgery.With(TokenForgery.Header(Genuine), "alg", "HS256");
        var payload = TokenForgery.Payload(Genuine);
        var x = Base64Url.DecodeFromChars(jwk.GetProperty("x").GetString());
        var y = Base64Url.DecodeFromChars(jwk.GetProperty("y").GetString());

        // Whatever bytes a confused verifier might take for "the key": the JWK text, the raw point, x alone.
        foreach (var secret in new[] { Encoding.UTF8.GetBytes(jwk.GetRawText()), [0x04, .. x, .. y], x })
        {
            await AssertRejectedAsync(TokenForgery.SignHs256(secret, header, payload));
        }
    }

    [Fact]
    public async Task A_token_with_its_signature_stripped_is_rejected()
    {
        var parts = Genuine.Split('.');

        await AssertRejectedAsync(parts[0] + "." + parts[1] + ".");
        await AssertRejectedAsync(parts[0] + "." + parts[1]);
    }

    [Fact]
    public async Task A_token_with_a_tampered_payload_is_rejected()
    {
        var parts = Genuine.Split('.');
        var otherSub = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var tampered = TokenForgery.Encode(TokenForgery.With(TokenForgery.Payload(Genuine), "sub", otherSub));

        await AssertRejectedAsync(parts[0] + "." + tampered + "." + parts[2]);
    }

    [Fact]
    public async Task A_token_signed_by_another_key_under_the_same_kid_is_rejected()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await AssertRejectedAsync(TokenForgery.SignEs256(attacker, TokenForgery.Header(Genuine), TokenForgery.Payload(Genuine)));
    }

    [Fact]
    public async Task A_token_naming_an_unknown_kid_or_none_is_rejected()
    {
        var payload = TokenForgery.Payload(Genuine);

        await AssertRejectedAsync(TokenForgery.SignWithServerKey(Factory, TokenForgery.With(TokenForgery.Header(Genuine), "kid", "unknown-kid"), payload));
        var withoutKid = TokenForgery.Header(Genuine);
        withoutKid.Remove("kid");
        await AssertRejectedAsync(TokenForgery.SignWithServerKey(Factory, withoutKid, payload));
    }

    public static TheoryData<string, string?> WrongClaims() => new()
    {
        { "iss", "https://evil.example" },
        { "iss", GatehouseFactory.Issuer + "/" },
        { "iss", null },
        { "aud", "another-api" },
        { "aud", null },
        { "exp", null },
    };

    [Theory]
    [MemberData(nameof(WrongClaims))]
    public async Task A_validly_signed_token_with_a_wrong_claim_is_rejected(string claim, string? value)
    {
        var payload = TokenForgery.Payload(Genuine);
        if (value is null)
        {
            payload.Remove(claim);
        }
        else
        {
            payload[claim] = value;
        }

        await AssertRejectedAsync(TokenForgery.SignWithServerKey(Factory, TokenForgery.Header(Genuine), payload));
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData(null)]
    public async Task A_validly_signed_token_whose_typ_is_not_at_jwt_is_rejected(string? typ)
    {
        var header = TokenForgery.Header(Genuine);
        if (typ is null)
        {
            header.Remove("typ");
        }
        else
        {
            header["typ"] = typ;
        }

        await AssertRejectedAsync(TokenForgery.SignWithServerKey(Factory, header, TokenForgery.Payload(Genuine)));
    }

    [Fact]
    public async Task A_validly_signed_token_not_yet_valid_is_rejected()
    {
        var payload = TokenForgery.Payload(Genuine);
        payload["nbf"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();

        await AssertRejectedAsync(TokenForgery.SignWithServerKey(Factory, TokenForgery.Header(Genuine), payload));
    }

    [Fact]
    public async Task No_token_is_401_with_a_bare_Bearer_challenge()
    {
        using var client = Factory.CreateApiClient();

        using var response = await client.GetAsync("/members/me", Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task An_expired_token_passes_within_the_30_second_skew_and_is_rejected_after_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new GatehouseFactory(time: time);
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var exp = DateTimeOffset.FromUnixTimeSeconds(ReadJwt(member.AccessToken).GetPayloadValue<long>("exp"));

        time.SetUtcNow(exp + TimeSpan.FromSeconds(29));
        using (var withinSkew = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        }

        time.SetUtcNow(exp + TimeSpan.FromSeconds(31));
        using var expired = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);
        await AssertProblemAsync(expired, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal("Bearer error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString());
    }

    private async Task AssertAcceptedAsync(string token)
    {
        using var client = Factory.CreateApiClient();
        using var response = await SendBearerAsync(client, HttpMethod.Get, "/members/me", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Sends the token to a member endpoint and to logout-all; both must refuse it the RFC 6750 way.</summary>
    private async Task AssertRejectedAsync(string token)
    {
        using var client = Factory.CreateApiClient();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/members/me"), (HttpMethod.Post, "/auth/logout-all"), (HttpMethod.Get, "/auth/sessions") })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await client.SendAsync(request, Ct);

            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
            Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }

        // The forged logout-all ended nothing (the member's session still refreshes), and the host still serves.
        _fixture.MemberRefreshToken = await AssertRefreshWorksAsync(client, _fixture.MemberRefreshToken);
        await AssertAcceptedAsync(Genuine);
    }
}
