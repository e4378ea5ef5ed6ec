using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gatehouse.Server.Tests.Social.Fakes;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Social.Revocation;

/// <summary>Kakao's unlink callback: the admin key checked, the request written down, the answer at once.</summary>
public sealed class KakaoUnlinkCallbackTests : IClassFixture<DeprovisioningFixture>
{
    private const string UserId = "4117532219";
    private readonly DeprovisioningFixture _fixture;

    public KakaoUnlinkCallbackTests(DeprovisioningFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Fact]
    public async Task A_callback_with_the_admin_key_is_recorded_as_an_unlink()
    {
        using var client = _fixture.CreateClient();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, "KakaoAK " + _fixture.Kakao.AdminKey), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("kakao", UserId, "unlinked"), Assert.Single(_fixture.Deprovisioning.Recorded));
    }

    [Fact]
    public async Task A_posted_callback_for_a_deleted_kakao_account_is_recorded_as_account_deleted()
    {
        using var client = _fixture.CreateClient();

        using var response = await client.SendAsync(Callback(HttpMethod.Post, "KakaoAK " + _fixture.Kakao.AdminKey, referrer: "ACCOUNT_DELETE"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("kakao", UserId, "account_deleted"), Assert.Single(_fixture.Deprovisioning.Recorded));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("KakaoAK not-the-admin-key")]
    [InlineData("Bearer {key}")]
    [InlineData("KakaoAK {key}x")]
    [InlineData("kakaoak {key}")]
    public async Task A_missing_or_wrong_admin_key_is_401_and_nothing_is_recorded(string? authorization)
    {
        using var client = _fixture.CreateClient();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, authorization?.Replace("{key}", _fixture.Kakao.AdminKey, StringComparison.Ordinal)), Ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("KakaoAK", response.Headers.WwwAuthenticate.ToString());
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task Another_apps_id_or_no_user_id_is_refused()
    {
        using var client = _fixture.CreateClient();
        var key = "KakaoAK " + _fixture.Kakao.AdminKey;

        using var otherApp = await client.SendAsync(Callback(HttpMethod.Get, key, appId: "999"), Ct);
        using var noUser = await client.SendAsync(Callback(HttpMethod.Get, key, userId: null), Ct);

        await AssertValidationProblemAsync(otherApp, "app_id");
        await AssertValidationProblemAsync(noUser, "user_id");
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task The_answer_calls_no_provider_so_a_stalled_kakao_does_not_delay_it()
    {
        foreach (var endpoint in Enum.GetValues<FakeEndpoint>())
        {
            _fixture.Kakao.Fault(endpoint, FakeFault.Slow);
        }

        using var client = _fixture.CreateClient();
        var clock = Stopwatch.StartNew();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, "KakaoAK " + _fixture.Kakao.AdminKey), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"answered after {clock.Elapsed}");
        Assert.All(Enum.GetValues<FakeEndpoint>(), e => Assert.Equal(0, _fixture.Kakao.Calls(e)));
        Assert.Single(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task The_200_means_recorded_it_waits_for_the_record_and_nothing_else()
    {
        _fixture.Deprovisioning.Delay = TimeSpan.FromSeconds(1);
        using var client = _fixture.CreateClient();
        var clock = Stopwatch.StartNew();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, "KakaoAK " + _fixture.Kakao.AdminKey), Ct);

        // The record's 1 s delay is a timer, which may fire a little before the stopwatch says 1 s (one run saw 999.6 ms).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.Single(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task Without_an_admin_key_the_callback_cannot_be_verified_and_is_503_not_configured()
    {
        using var client = _fixture.CreateClient();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, "KakaoAK anything", provider: "kakao-nokey"), Ct);

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "not_configured");
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task Only_a_kakao_provider_has_an_unlink_callback()
    {
        using var client = _fixture.CreateClient();

        using var response = await client.SendAsync(Callback(HttpMethod.Get, "KakaoAK " + _fixture.Kakao.AdminKey, provider: "google"), Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "unsupported_provider");
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    /// <summary>What Kakao sends: GET with a query, or POST with a form; app_id, user_id, referrer_type.</summary>
    private static HttpRequestMessage Callback(
        HttpMethod method, string? authorization, string? appId = DeprovisioningFixture.KakaoAppId, string? userId = UserId, string referrer = "UNLINK_FROM_APPS", string provider = "kakao")
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["referrer_type"] = referrer };
        if (appId is not null)
        {
            fields["app_id"] = appId;
        }

        if (userId is not null)
        {
            fields["user_id"] = userId;
        }

        var path = $"/auth/social/{provider}/unlink";
        var request = method == HttpMethod.Get
            ? new HttpRequestMessage(method, path + "?" + string.Join('&', fields.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}")))
            : new HttpRequestMessage(method, path) { Content = new FormUrlEncodedContent(fields) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }
}

/// <summary>Apple's server-to-server notifications: a JWT verified against Apple's keys, for this client.</summary>
public sealed class AppleNotificationTests : IClassFixture<DeprovisioningFixture>
{
    private const string Subject = "001234.abcdef0123456789abcdef0123456789.0123";
    private readonly DeprovisioningFixture _fixture;

    public AppleNotificationTests(DeprovisioningFixture fixture)
    {
        _fixture = fixture;
        fixture.Reset();
    }

    [Theory]
    [InlineData("consent-revoked", "unlinked")]
    [InlineData("account-delete", "account_deleted")]
    [InlineData("account-deleted", "account_deleted")]
    public async Task A_signed_notification_is_recorded(string type, string reason)
    {
        using var client = _fixture.CreateClient();

        using var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _fixture.Apple.SignNotification(type, Subject) }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("apple", Subject, reason), Assert.Single(_fixture.Deprovisioning.Recorded));
    }

    [Theory]
    [InlineData("email-disabled")]
    [InlineData("email-enabled")]
    public async Task Email_forwarding_notifications_are_acknowledged_and_change_nothing(string type)
    {
        using var client = _fixture.CreateClient();

        using var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _fixture.Apple.SignNotification(type, Subject) }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    [Theory]
    [InlineData(IdTokenTampering.BadSignature)]
    [InlineData(IdTokenTampering.WrongAudience)]
    [InlineData(IdTokenTampering.WrongIssuer)]
    [InlineData(IdTokenTampering.Expired)]
    [InlineData(IdTokenTampering.AlgNone)]
    [InlineData(IdTokenTampering.SymmetricAlgorithm)]
    [InlineData(IdTokenTampering.ForeignKey)]
    public async Task A_notification_that_fails_validation_is_400_and_nothing_is_recorded(IdTokenTampering tampering)
    {
        using var client = _fixture.CreateClient();

        using var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _fixture.Apple.SignNotification("account-delete", Subject, tampering) }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_notification");
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }

    [Fact]
    public async Task A_notification_addressed_to_the_configured_app_id_is_accepted()
    {
        using var client = _fixture.CreateClient();

        using var response = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = _fixture.Apple.SignNotification("consent-revoked", Subject, audience: DeprovisioningFixture.AppleAppId) }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("apple", Subject, "unlinked"), Assert.Single(_fixture.Deprovisioning.Recorded));
    }

    [Fact]
    public async Task A_payload_that_is_no_jwt_or_is_missing_is_400()
    {
        using var client = _fixture.CreateClient();

        using var garbage = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { payload = "not.a.jwt" }, Ct);
        using var missing = await client.PostAsJsonAsync("/auth/social/apple/notifications", new { }, Ct);

        await AssertProblemAsync(garbage, HttpStatusCode.BadRequest, "invalid_notification");
        await AssertValidationProblemAsync(missing, "payload");
        Assert.Empty(_fixture.Deprovisioning.Recorded);
    }
}
