using System.Net;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary><c>POST /auth/signup</c>: a new member gets tokens at once; bad input is refused field by field.</summary>
public sealed class SignupTests : IClassFixture<GatehouseFixture>
{
    private readonly GatehouseFactory _factory;

    public SignupTests(GatehouseFixture fixture)
    {
        _factory = fixture.Factory;
    }

    [Fact]
    public async Task Signup_answers_201_with_tokens_and_the_refresh_token_in_a_strict_httponly_cookie()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "Tester" }, Ct);

        await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: false);
        AssertRefreshCookie(response);
    }

    [Fact]
    public async Task Cookie_delivery_answers_carry_no_refreshToken_member()
    {
        // The documented response is {accessToken, tokenType, expiresIn, refreshExpiresIn} when the refresh token
        // travels in the cookie: no refreshToken member at all, not even null.
        using var browser = _factory.CreateBrowser();
        var email = NewEmail();
        using var signup = await browser.PostAsJsonAsync("/auth/signup", new { email, password = Password, nickname = "Tester" }, Ct);
        using var login = await browser.PostAsJsonAsync("/auth/login", new { email, password = Password }, Ct);
        using var refresh = await browser.PostAsync("/auth/token", null, Ct);

        foreach (var (name, response, status) in new[] { ("sign-up", signup, HttpStatusCode.Created), ("login", login, HttpStatusCode.OK), ("refresh", refresh, HttpStatusCode.OK) })
        {
            var body = await AssertTokenResponseAsync(response, status, refreshTokenInBody: false);
            var members = body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.True(members.SequenceEqual(["accessToken", "expiresIn", "refreshExpiresIn", "tokenType"]), $"The {name} answer has the members [{string.Join(", ", members)}]: {body}");
        }
    }

    [Fact]
    public async Task The_refresh_cookie_lives_exactly_the_idle_lifetime()
    {
        using var browser = _factory.CreateBrowser();
        using var signup = await browser.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "Tester" }, Ct);
        using var refresh = await browser.PostAsync("/auth/token", null, Ct);

        // 14 days = 1209600 s: the idle expiry is the nearer one (the absolute one is 60 days away), and each refresh slides it.
        Assert.Equal("1209600", FindRefreshCookie(signup)?.Attribute("max-age"));
        Assert.Equal("1209600", FindRefreshCookie(refresh)?.Attribute("max-age"));
    }

    [Fact]
    public async Task Signup_with_body_delivery_returns_the_refresh_token_in_the_body_and_sets_no_cookie()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "Tester", refreshTokenDelivery = "body" }, Ct);

        var body = await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: true);
        Assert.Null(FindRefreshCookie(response));

        // The refresh token is a working one.
        await AssertRefreshWorksAsync(client, body.GetProperty("refreshToken").GetString()!);
    }

    [Fact]
    public async Task A_nickname_of_exactly_40_characters_is_accepted_and_trimmed_of_surrounding_spaces()
    {
        using var client = _factory.CreateApiClient();
        var nickname = new string('n', 40);

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "  " + nickname + "  ", refreshTokenDelivery = "body" }, Ct);
        var tokens = await AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: true);

        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", tokens.GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(nickname, (await ReadJsonAsync(me)).GetProperty("nickname").GetString());
    }

    [Fact]
    public async Task A_taken_email_in_any_letter_case_is_refused_with_409_email_taken()
    {
        using var client = _factory.CreateApiClient();
        var local = "Dup" + Guid.NewGuid().ToString("N")[..10];
        await _factory.SignupAsync(client, email: local + "@Example.com");

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = local.ToUpperInvariant() + "@EXAMPLE.COM", password = "another fine passphrase", nickname = "Second" }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "email_taken");
        Assert.Null(FindRefreshCookie(response));
    }

    public static TheoryData<string, string?, string?, string?> InvalidSignups() => new()
    {
        // case, email, password, nickname -> the field named in errors
        { "email", "not-an-email", Password, "Tester" },
        { "email", "no-tld@localhost", Password, "Tester" },
        { "email", null, Password, "Tester" },
        { "password", "short@example.com", "short", "Tester" },
        { "password", "common@example.com", "password123", "Tester" },
        { "password", "missing@example.com", null, "Tester" },
        { "password", "same.as.email@example.com", "same.as.email@example.com", "Tester" },
        { "password", "Localpart@example.com", "localpart", "Tester" },
        { "nickname", "nonick@example.com", Password, null },
        { "nickname", "blanknick@example.com", Password, "   " },
        { "nickname", "longnick@example.com", Password, new string('x', 41) },
        { "nickname", "ctrlnick@example.com", Password, "tab\there" },
    };

    [Theory]
    [MemberData(nameof(InvalidSignups))]
    public async Task Invalid_input_is_refused_with_400_validation_failed_naming_the_field(string field, string? email, string? password, string? nickname)
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email, password, nickname }, Ct);

        await AssertValidationProblemAsync(response, field);
        Assert.Null(FindRefreshCookie(response));
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = "nope", password = "short", nickname = "" }, Ct);

        var body = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var fields = body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["email", "nickname", "password"], fields);
    }

    [Fact]
    public async Task An_unknown_refresh_token_delivery_is_refused_with_400()
    {
        using var client = _factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/auth/signup", new { email = NewEmail(), password = Password, nickname = "Tester", refreshTokenDelivery = "carrier-pigeon" }, Ct);

        await AssertValidationProblemAsync(response, "refreshTokenDelivery");
    }

    [Fact]
    public async Task A_failed_signup_leaves_the_email_free()
    {
        using var client = _factory.CreateApiClient();
        var email = NewEmail();
        using (var refused = await client.PostAsJsonAsync("/auth/signup", new { email, password = "password123", nickname = "Tester" }, Ct))
        {
            await AssertValidationProblemAsync(refused, "password");
        }

        using var accepted = await client.PostAsJsonAsync("/auth/signup", new { email, password = Password, nickname = "Tester" }, Ct);

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }
}
