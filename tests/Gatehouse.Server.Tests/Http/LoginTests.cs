using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary><c>POST /auth/login</c>: one path for every provider; a refusal never tells whether the account exists.</summary>
public sealed class LoginTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public LoginTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Password_login_answers_200_with_tokens_and_the_refresh_cookie()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await LoginAsync(client, member.Email, body: false);

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: false);
        AssertRefreshCookie(response);
        Assert.Equal(Claim(member.AccessToken, "sub"), Claim(body.GetProperty("accessToken").GetString()!, "sub"));
        Assert.NotEqual(Claim(member.AccessToken, "sid"), Claim(body.GetProperty("accessToken").GetString()!, "sid"));
    }

    [Fact]
    public async Task Password_login_with_body_delivery_returns_the_refresh_token_in_the_body()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await LoginAsync(client, member.Email, body: true);

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: true);
        Assert.Null(FindRefreshCookie(response));
        await AssertRefreshWorksAsync(client, body.GetProperty("refreshToken").GetString()!);
    }

    [Fact]
    public async Task The_provider_may_be_omitted_for_a_password_login()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await client.PostAsJsonAsync("/auth/login", new { email = member.Email, password = member.Password }, Ct);

        await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: false);
        AssertRefreshCookie(response);
    }

    [Fact]
    public async Task The_email_matches_in_any_letter_case_and_with_surrounding_spaces()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client, email: "Mixed." + Guid.NewGuid().ToString("N")[..10] + "@Example.COM");

        using var response = await LoginAsync(client, "  " + member.Email.ToLowerInvariant() + " ");

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.OK, refreshTokenInBody: true);
        Assert.Equal(Claim(member.AccessToken, "sub"), Claim(body.GetProperty("accessToken").GetString()!, "sub"));
    }

    [Fact]
    public async Task An_unknown_provider_is_refused_with_400_unsupported_provider()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var response = await LoginAsync(client, member.Email, provider: "kakao");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "unsupported_provider");
        Assert.Null(FindRefreshCookie(response));
    }

    [Fact]
    public async Task A_missing_password_is_refused_with_400()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/login", new { provider = "password", email = NewEmail() }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Unknown_email_and_wrong_password_get_the_same_401_and_byte_identical_bodies()
    {
        using var client = _factory.CreateApiClient();
        var member = await _factory.SignupAsync(client);

        using var unknown = await LoginAsync(client, NewEmail("nobody"), member.Password);
        using var wrong = await LoginAsync(client, member.Email, "not the right passphrase");

        await AssertProblemAsync(unknown, HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(await unknown.Content.ReadAsStringAsync(Ct), await wrong.Content.ReadAsStringAsync(Ct));
        Assert.Equal(unknown.Content.Headers.ContentType, wrong.Content.Headers.ContentType);
        Assert.Equal(unknown.Headers.WwwAuthenticate.ToString(), wrong.Headers.WwwAuthenticate.ToString());
        Assert.Null(FindRefreshCookie(unknown));
        Assert.Null(FindRefreshCookie(wrong));
    }
}
