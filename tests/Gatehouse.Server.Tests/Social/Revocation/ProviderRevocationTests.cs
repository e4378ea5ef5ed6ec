using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Tests.Social.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Server.Tests.Social.Revocation;

/// <summary>Kakao: unlink with the admin key, naming the user; no member token is kept or needed.</summary>
public sealed class KakaoRevocationTests(KakaoFake fixture) : RevocationTestBase(fixture.Server, "kakao"), IClassFixture<KakaoFake>
{
    protected override bool UsesGrant => false;

    [Fact]
    public async Task The_unlink_carries_the_admin_key_and_the_user_id()
    {
        var (revoker, subject, _) = await LoginWithGrantAsync();

        await revoker.RevokeAsync("kakao", subject, null, Ct);

        var request = Assert.Single(Fake.Revocations);
        Assert.Equal("KakaoAK " + Fake.AdminKey, request.Authorization);
        Assert.Equal("user_id", request.Fields["target_id_type"]);
        Assert.Equal(subject, request.Fields["target_id"]);
    }

    [Fact]
    public async Task A_wrong_admin_key_fails_for_good()
    {
        var (revoker, subject, _) = await LoginWithGrantAsync(s => s["Gatehouse:Social:Providers:kakao:AdminKey"] = "not-the-admin-key");

        var result = await revoker.RevokeAsync("kakao", subject, null, Ct);

        Assert.Equal(RevocationStatus.Failed, result.Status);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.True(Fake.HasGrant(subject));
    }

    [Fact]
    public async Task Without_an_admin_key_nothing_is_sent()
    {
        var (revoker, subject, _) = await LoginWithGrantAsync(s => s.Remove("Gatehouse:Social:Providers:kakao:AdminKey"));

        var result = await revoker.RevokeAsync("kakao", subject, null, Ct);

        Assert.Equal(RevocationStatus.Skipped, result.Status);
        Assert.Contains("AdminKey", result.Error, StringComparison.Ordinal);
        Assert.Empty(Fake.Revocations);
    }

    [Theory]
    [InlineData("-10")]
    [InlineData("-9798")]
    public async Task Kakao_quota_and_maintenance_codes_are_retried_later(string code)
    {
        var (revoker, subject, _) = await LoginWithGrantAsync();
        Fake.RevocationError = code;

        Assert.Equal(RevocationStatus.RetryLater, (await revoker.RevokeAsync("kakao", subject, null, Ct)).Status);
    }

    [Fact]
    public async Task A_provider_slower_than_the_timeout_is_retried_later()
    {
        var (revoker, subject, _) = await LoginWithGrantAsync(s => s["Gatehouse:Social:ProviderTimeout"] = "00:00:01");
        Fake.Fault(FakeEndpoint.Revocation, FakeFault.Slow);
        var started = TimeProvider.System.GetTimestamp();

        var result = await revoker.RevokeAsync("kakao", subject, null, Ct);

        Assert.Equal(RevocationStatus.RetryLater, result.Status);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
    }
}

/// <summary>Naver: <c>grant_type=delete</c> at the token endpoint, after refreshing an access token that has expired (they live an hour).</summary>
public sealed class NaverRevocationTests(NaverFake fixture) : RevocationTestBase(fixture.Server, "naver"), IClassFixture<NaverFake>
{
    protected override FakeEndpoint RevocationEndpoint => FakeEndpoint.Token;

    [Fact]
    public async Task A_live_access_token_is_deleted_with_the_client_credentials_and_service_provider()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();

        await revoker.RevokeAsync("naver", subject, sealedGrant, Ct);

        var delete = Assert.Single(Fake.Revocations);
        Assert.Equal("delete", delete.Fields["grant_type"]);
        Assert.Equal("NAVER", delete.Fields["service_provider"]);
        Assert.Equal(Fake.ClientSecret, delete.Fields["client_secret"]);
        Assert.StartsWith("at-", delete.Fields["access_token"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_first_and_the_fresh_one_deleted()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Fake.Time = clock;
        Clock = clock;
        try
        {
            var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
            clock.Advance(TimeSpan.FromHours(2));

            var result = await revoker.RevokeAsync("naver", subject, sealedGrant, Ct);

            // The fake deletes only with a live token (the login's expired an hour ago): a plain success means the fresh one was sent.
            Assert.Equal(RevocationStatus.Revoked, result.Status);
            Assert.Null(result.Error);
            Assert.Equal(["refresh_token", "delete"], Fake.Revocations.Select(r => r.Fields["grant_type"]));
            Assert.False(Fake.HasGrant(subject));
        }
        finally
        {
            Fake.Time = TimeProvider.System;
        }
    }

    [Fact]
    public async Task A_refused_refresh_token_fails_and_nothing_is_deleted()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Fake.Time = clock;
        Clock = clock;
        try
        {
            var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();

            // The grant ends (here by a first revocation, as a member's own removal at Naver would): its refresh token dies with it.
            Assert.Equal(RevocationStatus.Revoked, (await revoker.RevokeAsync("naver", subject, sealedGrant, Ct)).Status);
            clock.Advance(TimeSpan.FromHours(2));
            var result = await revoker.RevokeAsync("naver", subject, sealedGrant, Ct);

            Assert.Equal(RevocationStatus.Failed, result.Status);
            Assert.Contains("refresh token was refused", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            Fake.Time = TimeProvider.System;
        }
    }

    [Theory]
    [InlineData("server_error", "RetryLater")]
    [InlineData("invalid_request", "Failed")]
    public async Task Errors_answered_with_http_200_are_mapped(string error, string expected)
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Fake.RevocationError = error;

        var result = await revoker.RevokeAsync("naver", subject, sealedGrant, Ct);

        Assert.Equal(Enum.Parse<RevocationStatus>(expected), result.Status);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
    }
}

/// <summary>Google: <c>POST /revoke</c> with the token; an unknown or revoked token is 400 <c>invalid_token</c>.</summary>
public sealed class GoogleRevocationTests(GoogleFake fixture) : RevocationTestBase(fixture.Server, "google"), IClassFixture<GoogleFake>
{
    [Fact]
    public async Task The_access_token_is_revoked_without_client_credentials()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();

        await revoker.RevokeAsync("google", subject, sealedGrant, Ct);

        var request = Assert.Single(Fake.Revocations);
        Assert.StartsWith("at-", request.Fields["token"], StringComparison.Ordinal);
        Assert.False(request.Fields.ContainsKey("client_secret"));
        Assert.Null(request.Authorization);
    }

    [Fact]
    public async Task Another_client_error_fails_for_good()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Fake.RevocationError = "invalid_request";

        Assert.Equal(RevocationStatus.Failed, (await revoker.RevokeAsync("google", subject, sealedGrant, Ct)).Status);
    }

    [Fact]
    public async Task An_expired_access_token_without_a_refresh_token_is_skipped_not_counted_as_revoked()
    {
        // Google answers invalid_token for an expired access token while the grant lives on: that is no revocation.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Fake.Time = clock;
        Clock = clock;
        try
        {
            var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
            clock.Advance(TimeSpan.FromHours(2));

            var result = await revoker.RevokeAsync("google", subject, sealedGrant, Ct);

            Assert.Equal(RevocationStatus.Skipped, result.Status);
            Assert.Contains("expired", result.Error, StringComparison.Ordinal);
            Assert.Empty(Fake.Revocations);
            Assert.True(Fake.HasGrant(subject));
        }
        finally
        {
            Fake.Time = TimeProvider.System;
            Clock = null;
        }
    }
}

/// <summary>Apple: <c>/auth/revoke</c> with the client-secret JWT and the refresh token.</summary>
public sealed class AppleRevocationTests(AppleFake fixture) : RevocationTestBase(fixture.Server, "apple"), IClassFixture<AppleFake>
{
    [Fact]
    public async Task The_refresh_token_is_revoked_with_a_client_secret_apple_verifies()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        var verified = Fake.VerifiedClientSecrets;

        await revoker.RevokeAsync("apple", subject, sealedGrant, Ct);

        var request = Assert.Single(Fake.Revocations);
        Assert.Equal(verified + 1, Fake.VerifiedClientSecrets);
        Assert.Equal(Fake.ClientId, request.Fields["client_id"]);
        Assert.StartsWith("rt-", request.Fields["token"], StringComparison.Ordinal);
        Assert.Equal("refresh_token", request.Fields["token_type_hint"]);
    }

    [Fact]
    public async Task A_client_secret_apple_refuses_fails_for_good()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var redemption = await RedeemAsync(Provider());

        var result = await RevokeWithAsync(s => s["Gatehouse:Social:Providers:apple:PrivateKey"] = other.ExportPkcs8PrivateKeyPem(), redemption.Profile.Subject, redemption.Grant);

        Assert.Equal(RevocationStatus.Failed, result.Status);
        Assert.Contains("invalid_client", result.Error, StringComparison.Ordinal);
        Assert.True(Fake.HasGrant(redemption.Profile.Subject));
    }
}

/// <summary>GitHub: <c>DELETE /applications/{client_id}/grant</c> with HTTP Basic; 204 done, 404 already gone.</summary>
public sealed class GitHubRevocationTests(GitHubFake fixture) : RevocationTestBase(fixture.Server, "github"), IClassFixture<GitHubFake>
{
    [Fact]
    public async Task The_grant_is_deleted_with_basic_client_credentials_and_the_access_token_in_json()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();

        await revoker.RevokeAsync("github", subject, sealedGrant, Ct);

        var request = Assert.Single(Fake.Revocations);
        Assert.Equal("DELETE", request.Method);
        Assert.Equal($"/applications/{Fake.ClientId}/grant", request.Path);
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Fake.ClientId}:{Fake.ClientSecret}")), request.Authorization);
        Assert.StartsWith("at-", request.Fields["access_token"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_client_secret_fails_for_good()
    {
        var redemption = await RedeemAsync(Provider());

        var result = await RevokeWithAsync(s => s["Gatehouse:Social:Providers:github:ClientSecret"] = "wrong-secret", redemption.Profile.Subject, redemption.Grant);

        Assert.Equal(RevocationStatus.Failed, result.Status);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.True(Fake.HasGrant(redemption.Profile.Subject));
    }
}

/// <summary>Slack: <c>auth.revoke</c>; failures are HTTP 200 <c>{"ok": false}</c>.</summary>
public sealed class SlackRevocationTests(SlackFake fixture) : RevocationTestBase(fixture.Server, "slack"), IClassFixture<SlackFake>
{
    [Theory]
    [InlineData("ratelimited", "RetryLater")]
    [InlineData("not_allowed_token_type", "Failed")]
    public async Task Ok_false_errors_are_mapped(string error, string expected)
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Fake.RevocationError = error;

        var result = await revoker.RevokeAsync("slack", subject, sealedGrant, Ct);

        Assert.Equal(Enum.Parse<RevocationStatus>(expected), result.Status);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
    }
}

/// <summary>A generic OpenID Connect provider: RFC 7009 at the discovery document's <c>revocation_endpoint</c>.</summary>
public sealed class OpenIdConnectRevocationTests(OpenIdConnectFake fixture) : RevocationTestBase(fixture.Server, "corp"), IClassFixture<OpenIdConnectFake>
{
    [Fact]
    public async Task The_refresh_token_is_revoked_at_the_discovered_endpoint_with_client_authentication()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();

        await revoker.RevokeAsync("corp", subject, sealedGrant, Ct);

        var request = Assert.Single(Fake.Revocations);
        Assert.Equal("/revoke", request.Path);
        Assert.StartsWith("Basic ", request.Authorization, StringComparison.Ordinal);
        Assert.Equal("refresh_token", request.Fields["token_type_hint"]);
    }

    [Fact]
    public async Task Refused_client_credentials_fail_for_good()
    {
        var redemption = await RedeemAsync(Provider());

        var result = await RevokeWithAsync(s => s["Gatehouse:Social:Providers:corp:ClientSecret"] = "wrong-secret", redemption.Profile.Subject, redemption.Grant);

        Assert.Equal(RevocationStatus.Failed, result.Status);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.True(Fake.HasGrant(redemption.Profile.Subject));
    }
}

/// <summary>A generic OAuth 2 provider: RFC 7009 only where a RevocationEndpoint is configured.</summary>
public sealed class OAuth2RevocationTests(OAuth2Fake fixture) : RevocationTestBase(fixture.Server, "acme"), IClassFixture<OAuth2Fake>
{
    [Fact]
    public async Task Without_a_revocation_endpoint_no_grant_is_kept_and_nothing_is_revoked()
    {
        var revoker = Revoker(s => s.Remove("Gatehouse:Social:Providers:acme:RevocationEndpoint"));

        Assert.False(revoker.NeedsGrant("acme"));
        Assert.Equal(RevocationStatus.Skipped, (await revoker.RevokeAsync("acme", "9007199254", null, Ct)).Status);
        Assert.Equal(RevocationStatus.Skipped, (await revoker.RevokeAsync("unknown", "x", null, Ct)).Status);
    }
}
