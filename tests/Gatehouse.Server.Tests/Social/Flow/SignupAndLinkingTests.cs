using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Core.Social;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>Sign-up in two steps when required fields are missing (seed 001's <c>/auth/signup</c>).</summary>
public sealed class SignupCompletionTests : IClassFixture<RequiredFieldsSocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public SignupCompletionTests(RequiredFieldsSocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_provider_sharing_every_required_field_signs_up_in_the_login_call()
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");
        await AssertTokenResponseAsync(response, HttpStatusCode.Created, true);
    }

    [Fact]
    public async Task A_missing_email_answers_signup_required_and_POST_auth_signup_completes_it_once()
    {
        _fixture.Kakao.NextUser = _fixture.Kakao.NextUser with { Email = null };
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal("signup_required", body.GetProperty("status").GetString());
        Assert.Equal(["email"], body.GetProperty("missing").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(_fixture.Kakao.NextUser.Name, body.GetProperty("profile").GetProperty("name").GetString());
        Assert.Equal("kakao", body.GetProperty("profile").GetProperty("provider").GetString());
        Assert.False(body.TryGetProperty("accessToken", out _));
        var signupToken = body.GetProperty("signupToken").GetString()!;

        var email = SocialFlowFixture.NewEmail("done");
        using var done = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email, nickname = "민지", refreshTokenDelivery = "body" }, Ct);
        var tokens = await AssertTokenResponseAsync(done, HttpStatusCode.Created, true);
        var me = await HandOffFlowTests.GetMeAsync(client, tokens.GetProperty("accessToken").GetString()!);
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal("민지", me.GetProperty("nickname").GetString());
        Assert.Equal("kakao", Assert.Single(me.GetProperty("identities").EnumerateArray()).GetProperty("provider").GetString());

        using var replay = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email = SocialFlowFixture.NewEmail("again"), nickname = "x" }, Ct);
        await AssertProblemAsync(replay, HttpStatusCode.BadRequest, "invalid_signup_token");
    }

    [Fact]
    public async Task A_bad_field_or_a_taken_email_does_not_spend_the_signup_token()
    {
        var taken = await _fixture.Factory.SignupAsync();
        _fixture.Kakao.NextUser = _fixture.Kakao.NextUser with { Email = null };
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var signupToken = (await ReadJsonAsync(response)).GetProperty("signupToken").GetString()!;

        using var invalid = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email = "not an email", nickname = "n" }, Ct);
        await AssertValidationProblemAsync(invalid, "email");
        using var missing = await client.PostAsJsonAsync("/auth/signup", new { signupToken, nickname = "n" }, Ct);
        await AssertValidationProblemAsync(missing, "email");
        using var clash = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email = taken.Email, nickname = "n" }, Ct);
        await AssertProblemAsync(clash, HttpStatusCode.Conflict, "email_taken");
        using var ok = await client.PostAsJsonAsync("/auth/signup", new { signupToken, email = SocialFlowFixture.NewEmail("ok"), nickname = "n", refreshTokenDelivery = "body" }, Ct);
        await AssertTokenResponseAsync(ok, HttpStatusCode.Created, true);
    }

    [Fact]
    public async Task An_unverified_provider_email_counts_as_missing()
    {
        _fixture.Kakao.NextUser = _fixture.Kakao.NextUser with { EmailVerified = false };
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var body = await ReadJsonAsync(response);
        Assert.Equal("signup_required", body.GetProperty("status").GetString());
        Assert.Equal(_fixture.Kakao.NextUser.Email, body.GetProperty("profile").GetProperty("email").GetString());
        Assert.False(body.GetProperty("profile").GetProperty("emailVerified").GetBoolean());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-token")]
    public async Task An_unknown_or_malformed_signup_token_is_invalid_signup_token(string? signupToken)
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/auth/signup", new Dictionary<string, object?> { ["signupToken"] = signupToken ?? string.Empty, ["email"] = SocialFlowFixture.NewEmail("x"), ["nickname"] = "n" }, Ct);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_signup_token");
    }
}

/// <summary>Linking a second provider to a logged-in member, listing and unlinking.</summary>
public sealed class LinkingTests : IClassFixture<SocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public LinkingTests(SocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_member_links_a_provider_logs_in_with_it_and_unlinks_it()
    {
        var member = await _fixture.Factory.SignupAsync();
        using var client = _fixture.Factory.CreateApiClient();
        var user = _fixture.Kakao.NextUser;
        var linked = await LinkAsync(client, member.AccessToken, "kakao");
        Assert.Equal(HttpStatusCode.OK, linked.Status);
        Assert.Equal("linked", linked.Body.GetProperty("status").GetString());
        Assert.Equal("kakao", Assert.Single(linked.Body.GetProperty("identities").EnumerateArray()).GetProperty("provider").GetString());

        _fixture.Kakao.NextUser = user;
        using var login = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var tokens = await AssertTokenResponseAsync(login, HttpStatusCode.OK, true);
        Assert.Equal(HandOffFlowTests.AccessTokenSubject(member.AccessToken), HandOffFlowTests.AccessTokenSubject(tokens.GetProperty("accessToken").GetString()!));

        using var unlink = await SendAsync(client, HttpMethod.Delete, "/members/me/identities/kakao", member.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, unlink.StatusCode);
        var me = await HandOffFlowTests.GetMeAsync(client, member.AccessToken);
        Assert.Empty(me.GetProperty("identities").EnumerateArray());
        using var again = await SendAsync(client, HttpMethod.Delete, "/members/me/identities/kakao", member.AccessToken);
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_social_only_member_cannot_unlink_its_last_provider_but_can_once_another_is_linked()
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var signup = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var access = (await AssertTokenResponseAsync(signup, HttpStatusCode.Created, true)).GetProperty("accessToken").GetString()!;
        using var refused = await SendAsync(client, HttpMethod.Delete, "/members/me/identities/kakao", access);
        await AssertProblemAsync(refused, HttpStatusCode.Conflict, "last_login_method");

        Assert.Equal(HttpStatusCode.OK, (await LinkAsync(client, access, "google")).Status);
        using var ok = await SendAsync(client, HttpMethod.Delete, "/members/me/identities/kakao", access);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
    }

    [Fact]
    public async Task A_provider_account_of_another_member_cannot_be_linked()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var user = _fixture.Kakao.NextUser;
        using var owner = await SocialFlowFixture.HandOffAsync(client, "kakao");
        await AssertTokenResponseAsync(owner, HttpStatusCode.Created, true);

        var other = await _fixture.Factory.SignupAsync();
        _fixture.Kakao.NextUser = user;
        var result = await LinkAsync(client, other.AccessToken, "kakao");
        Assert.Equal(HttpStatusCode.Conflict, result.Status);
        Assert.Equal("identity_taken", result.Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Linking_needs_the_members_token_to_begin_and_the_same_members_token_to_complete()
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var anonymous = await client.PostAsJsonAsync("/auth/social/kakao/authorization", new { redirectUri = SocialFlowFixture.FrontendCallback, intent = "link" }, Ct);
        await AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthorized");

        var attacker = await _fixture.Factory.SignupAsync();
        var victim = await _fixture.Factory.SignupAsync();
        var callback = await BeginLinkAsync(client, attacker.AccessToken, "kakao");

        // The attacker's link URL opened by the victim: without a token, or with the victim's, it does not complete.
        using var noToken = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertProblemAsync(noToken, HttpStatusCode.Unauthorized, "unauthorized");
        var second = await BeginLinkAsync(client, attacker.AccessToken, "kakao");
        using var victimToken = await CompleteLinkAsync(client, victim.AccessToken, "kakao", second.Code!, second.State!);
        await AssertProblemAsync(victimToken, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Empty((await HandOffFlowTests.GetMeAsync(client, attacker.AccessToken)).GetProperty("identities").EnumerateArray());
        Assert.Empty((await HandOffFlowTests.GetMeAsync(client, victim.AccessToken)).GetProperty("identities").EnumerateArray());
    }

    [Fact]
    public async Task A_second_account_of_the_same_provider_is_provider_already_linked()
    {
        var member = await _fixture.Factory.SignupAsync();
        using var client = _fixture.Factory.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await LinkAsync(client, member.AccessToken, "kakao")).Status);
        _fixture.Kakao.NextUser = SocialFlowFixture.NewKakaoUser();
        var second = await LinkAsync(client, member.AccessToken, "kakao");
        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Equal("provider_already_linked", second.Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_link_completed_after_the_member_withdrew_is_401_and_links_nothing()
    {
        var member = await _fixture.Factory.SignupAsync();
        using var client = _fixture.Factory.CreateApiClient();
        var user = _fixture.Kakao.NextUser;
        var callback = await BeginLinkAsync(client, member.AccessToken, "kakao");
        using (var withdraw = await SendAsync(client, HttpMethod.Delete, "/members/me", member.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, withdraw.StatusCode);
        }

        // The access token is still well signed and unexpired: only the member is gone.
        using var completed = await CompleteLinkAsync(client, member.AccessToken, "kakao", callback.Code!, callback.State!);

        await AssertProblemAsync(completed, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Null(await _fixture.Factory.Services.GetRequiredService<IMemberIdentityStore>().FindAsync("kakao", user.Subject, Ct));
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> LinkAsync(HttpClient client, string accessToken, string provider)
    {
        var callback = await BeginLinkAsync(client, accessToken, provider);
        using var response = await CompleteLinkAsync(client, accessToken, provider, callback.Code!, callback.State!);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    private static async Task<Fakes.AuthorizationCallback> BeginLinkAsync(HttpClient client, string accessToken, string provider)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auth/social/{provider}/authorization")
        {
            Content = JsonContent.Create(new { redirectUri = SocialFlowFixture.FrontendCallback, intent = "link" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Fakes.FakeProviderServer.AuthorizeAsync(new Uri((await ReadJsonAsync(response)).GetProperty("authorizationUrl").GetString()!));
    }

    private static Task<HttpResponseMessage> CompleteLinkAsync(HttpClient client, string accessToken, string provider, string code, string state)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { provider, code, state }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client.SendAsync(request, Ct);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client.SendAsync(request, Ct);
    }
}

/// <summary>LinkByVerifiedEmail on: a verified provider email joins the member who has it.</summary>
public sealed class LinkByVerifiedEmailTests : IClassFixture<LinkByEmailSocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public LinkByVerifiedEmailTests(LinkByEmailSocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_verified_email_joins_the_existing_member_and_an_unverified_one_does_not()
    {
        var member = await _fixture.Factory.SignupAsync();
        using var client = _fixture.Factory.CreateApiClient();
        _fixture.Kakao.NextUser = SocialFlowFixture.NewKakaoUser(member.Email) with { EmailVerified = false };
        using var unverified = await SocialFlowFixture.HandOffAsync(client, "kakao");
        var other = await AssertTokenResponseAsync(unverified, HttpStatusCode.Created, true);
        Assert.NotEqual(HandOffFlowTests.AccessTokenSubject(member.AccessToken), HandOffFlowTests.AccessTokenSubject(other.GetProperty("accessToken").GetString()!));

        _fixture.Google.NextUser = _fixture.Google.NextUser with { Email = member.Email, EmailVerified = true };
        using var verified = await SocialFlowFixture.HandOffAsync(client, "google");
        var joined = await AssertTokenResponseAsync(verified, HttpStatusCode.OK, true);
        Assert.Equal(HandOffFlowTests.AccessTokenSubject(member.AccessToken), HandOffFlowTests.AccessTokenSubject(joined.GetProperty("accessToken").GetString()!));
    }
}
