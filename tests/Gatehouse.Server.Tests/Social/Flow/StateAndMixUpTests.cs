using System.Net;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.Extensions.Time.Testing;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>
/// Everything checked before a code is exchanged: a bad state, a mix-up or a wrong issuer ends the attempt with a
/// clear error, no session, and no call to the provider's token endpoint.
/// </summary>
public sealed class StateAndMixUpTests : IClassFixture<SocialFlowFixture>
{
    private readonly SocialFlowFixture _fixture;

    public StateAndMixUpTests(SocialFlowFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("../../../../etc/passwd/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_missing_malformed_or_unknown_state_is_invalid_state_and_the_code_is_never_exchanged(string? state)
    {
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, state);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_state");
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_replayed_state_is_refused_even_after_a_successful_login()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        using var first = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertTokenResponseAsync(first, HttpStatusCode.Created, true);
        using var replay = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertProblemAsync(replay, HttpStatusCode.BadRequest, "invalid_state");
        Assert.Equal(1, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_state_is_spent_by_a_failed_attempt_too()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        using var wrongCode = await SocialFlowFixture.LoginAsync(client, "kakao", "not-the-code", callback.State);
        await AssertProblemAsync(wrongCode, HttpStatusCode.Unauthorized, "invalid_grant");
        using var retry = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertProblemAsync(retry, HttpStatusCode.BadRequest, "invalid_state");
    }

    [Fact]
    public async Task A_code_from_another_attempt_fails_PKCE_at_the_provider_and_makes_no_session()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var victim = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        var (_, attackerState) = await SocialFlowFixture.BeginAsync(client, "kakao");

        // The attacker's attempt (its own state and PKCE verifier) with the victim's code: the verifier does not match.
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", victim.Code, attackerState);
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_grant");
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.UserInfo));
    }

    [Fact]
    public async Task A_response_to_an_attempt_begun_with_another_provider_is_a_mix_up_and_neither_token_endpoint_is_called()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var google = await SocialFlowFixture.AuthorizeAsync(client, "google");
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", google.Code, google.State);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_state");
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.Token));
        Assert.Equal(0, _fixture.Google.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task An_iss_parameter_naming_another_issuer_is_issuer_mismatch_with_no_code_exchange()
    {
        _fixture.Google.SendIssuerParameter = true;
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "google");
        Assert.Equal(_fixture.Google.Issuer, callback.Issuer);
        using var response = await SocialFlowFixture.LoginAsync(client, "google", callback.Code, callback.State, new { iss = "https://attacker.example" });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "issuer_mismatch");
        Assert.Equal(0, _fixture.Google.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task The_right_iss_parameter_passes()
    {
        _fixture.Google.SendIssuerParameter = true;
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertTokenResponseAsync(response, HttpStatusCode.Created, true);
    }

    [Theory]
    [InlineData(IdTokenTampering.WrongNonce)]
    [InlineData(IdTokenTampering.AlgNone)]
    [InlineData(IdTokenTampering.BadSignature)]
    [InlineData(IdTokenTampering.WrongAudience)]
    [InlineData(IdTokenTampering.SeveralAudiencesWithoutAuthorizedParty)]
    [InlineData(IdTokenTampering.AnotherAuthorizedParty)]
    [InlineData(IdTokenTampering.WrongIssuer)]
    [InlineData(IdTokenTampering.Expired)]
    public async Task A_bad_id_token_ends_the_login_with_invalid_id_token_and_no_member(IdTokenTampering tampering)
    {
        _fixture.Google.Tampering = tampering;
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "invalid_id_token");

        // The same account, with a good token, is a first login: the failed attempt created nobody.
        _fixture.Google.Tampering = IdTokenTampering.None;
        using var retry = await SocialFlowFixture.HandOffAsync(client, "google");
        await AssertTokenResponseAsync(retry, HttpStatusCode.Created, true);
    }

    [Fact]
    public async Task Access_denied_at_the_provider_is_login_cancelled_and_spends_the_state()
    {
        _fixture.Kakao.DenyNextAuthorization = true;
        using var client = _fixture.Factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        Assert.Equal("access_denied", callback.Error);
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", null, callback.State, new { error = callback.Error });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "login_cancelled");
        using var again = await SocialFlowFixture.LoginAsync(client, "kakao", null, callback.State, new { error = callback.Error });
        await AssertProblemAsync(again, HttpStatusCode.BadRequest, "invalid_state");
        Assert.Equal(0, _fixture.Kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task Another_provider_error_is_a_502_carrying_the_providers_code()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var (_, state) = await SocialFlowFixture.BeginAsync(client, "kakao");
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", null, state, new { error = "server_error" });
        var body = await AssertProblemAsync(response, HttpStatusCode.BadGateway, "provider_error");
        Assert.Equal("server_error", body.GetProperty("providerError").GetString());
    }

    [Theory]
    [InlineData(FakeFault.ServerError)]
    [InlineData(FakeFault.Html)]
    [InlineData(FakeFault.HugeBody)]
    public async Task A_failing_provider_is_a_502_provider_error_never_a_500(FakeFault fault)
    {
        _fixture.Kakao.Fault(FakeEndpoint.UserInfo, fault);
        using var client = _fixture.Factory.CreateApiClient();
        using var response = await SocialFlowFixture.HandOffAsync(client, "kakao");
        await AssertProblemAsync(response, HttpStatusCode.BadGateway, "provider_error");
    }
}

/// <summary>A state outlives nothing: after its 10 minutes it is refused, on a host whose clock the test moves.</summary>
public sealed class StateExpiryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private FakeProviderServer _kakao = null!;
    private Infrastructure.GatehouseFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _kakao = await FakeProviderServer.StartAsync(FakeProviderKind.Kakao);
        _factory = new Infrastructure.GatehouseFactory(s => _kakao.ApplyTo(s, "kakao"), _time);
        await _factory.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _kakao.DisposeAsync();
    }

    [Fact]
    public async Task An_expired_state_is_invalid_state_and_the_code_is_never_exchanged()
    {
        using var client = _factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_state");
        Assert.Equal(0, _kakao.Calls(FakeEndpoint.Token));
    }

    [Fact]
    public async Task A_state_just_inside_its_lifetime_still_works()
    {
        using var client = _factory.CreateApiClient();
        var callback = await SocialFlowFixture.AuthorizeAsync(client, "kakao");
        _time.Advance(TimeSpan.FromMinutes(9));
        using var response = await SocialFlowFixture.LoginAsync(client, "kakao", callback.Code, callback.State);
        await AssertTokenResponseAsync(response, HttpStatusCode.Created, true);
    }
}
