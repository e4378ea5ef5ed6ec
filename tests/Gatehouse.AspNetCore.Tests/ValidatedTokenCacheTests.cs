using System.Net;
using System.Security.Claims;
using Gatehouse.AspNetCore.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Gatehouse.AspNetCore.Tests;

/// <summary>The cache of validated tokens: cheap hits, and never a hit that full validation would refuse.</summary>
public sealed class ValidatedTokenCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_seen_once_is_not_cached()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;

        Assert.True((await validator.ValidateAsync(host.Issuer.Mint(), Ct)).IsValid);

        Assert.Equal(0, validator.Cache.Count);
    }

    [Fact]
    public async Task A_token_used_again_is_cached_and_then_served_from_the_cache()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;
        var kid = host.Issuer.CurrentKid;
        var token = host.Issuer.Mint();

        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.Equal(2, validator.FullValidations);
        Assert.Equal(1, validator.Cache.Count);

        // Even with its key gone from the issuer's JWKS (not yet fetched again), the remembered result stands.
        host.Issuer.RemoveKey(kid);
        var second = await validator.ValidateAsync(token, Ct);

        Assert.True(second.IsValid);
        Assert.Equal(2, validator.FullValidations);
        Assert.Equal("mbr_7Qd2sWc0zPxR4bNn1Lk9aA", second.ClaimsIdentity.FindFirst("sub")?.Value);
        Assert.Equal("mbr_7Qd2sWc0zPxR4bNn1Lk9aA", second.ClaimsIdentity.Name);
        Assert.True(second.ClaimsIdentity.IsAuthenticated);
        Assert.Equal(1, validator.Cache.Count);
    }

    [Fact]
    public async Task A_cached_token_is_not_served_past_its_exp_and_is_refused_past_the_skew()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;
        var token = host.Issuer.Mint();
        var exp = DateTimeOffset.FromUnixTimeSeconds((long)Jwt.Payload(token)["exp"]!);
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);

        // Within the skew past exp: full validation again (not the cache), which still accepts.
        host.Time.SetUtcNow(exp.AddSeconds(1));
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.Equal(2, validator.FullValidations);

        host.Time.SetUtcNow(exp.AddSeconds(30));
        var expired = await validator.ValidateAsync(token, Ct);
        using var response = await host.GetAsync("/api/hello", token);

        Assert.False(expired.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(expired.Exception);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_cached_token_stops_passing_once_a_refresh_shows_its_key_withdrawn()
    {
        await using var host = await SampleApiHost.StartAsync(o => o.JwksRefreshInterval = TimeSpan.FromMinutes(1));
        var validator = host.Validator;
        var oldKid = host.Issuer.CurrentKid;
        var token = host.Issuer.Mint();
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.Equal(1, validator.Cache.Count);

        host.Issuer.AddKey();
        host.Issuer.RemoveKey(oldKid);
        host.Time.Advance(TimeSpan.FromMinutes(1));

        // This call notices the keys are due and starts the fetch; the next one sees its result.
        _ = await validator.ValidateAsync(token, Ct);
        await host.KeyFetchSettledAsync();
        var refused = await validator.ValidateAsync(token, Ct);

        Assert.False(refused.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(refused.Exception);
    }

    [Fact]
    public async Task A_new_key_appearing_keeps_the_cache()
    {
        await using var host = await SampleApiHost.StartAsync(o => o.JwksRefreshInterval = TimeSpan.FromMinutes(1));
        var validator = host.Validator;
        var token = host.Issuer.Mint();
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);

        host.Issuer.AddKey();
        host.Time.Advance(TimeSpan.FromMinutes(1));
        _ = await validator.ValidateAsync(token, Ct);
        await host.KeyFetchSettledAsync();

        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.Equal(2, validator.FullValidations);
    }

    [Fact]
    public async Task Changes_to_a_returned_identity_do_not_reach_the_next_caller()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;
        var token = host.Issuer.Mint();

        var first = await validator.ValidateAsync(token, Ct);
        first.ClaimsIdentity.AddClaim(new Claim("role", "admin"));
        var second = await validator.ValidateAsync(token, Ct);
        second.ClaimsIdentity.AddClaim(new Claim("role", "owner"));
        var third = await validator.ValidateAsync(token, Ct);
        third.ClaimsIdentity.AddClaim(new Claim("role", "guest"));
        var fourth = await validator.ValidateAsync(token, Ct);

        Assert.Equal(2, validator.FullValidations);
        Assert.False(fourth.ClaimsIdentity.HasClaim(c => c.Type == "role"));
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;
        var token = host.Issuer.Mint(d => d.Audience = "some-other-api");

        Assert.False((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.False((await validator.ValidateAsync(token, Ct)).IsValid);

        Assert.Equal(2, validator.FullValidations);
        Assert.Equal(0, validator.Cache.Count);
    }

    [Fact]
    public async Task The_cache_stays_within_its_size_and_evicts_the_least_recently_used()
    {
        await using var host = await SampleApiHost.StartAsync(o => o.ValidatedTokenCacheSize = 10);
        var validator = host.Validator;
        var tokens = Enumerable.Range(0, 11).Select(_ => host.Issuer.Mint()).ToList();
        foreach (var token in tokens.Take(10))
        {
            Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
            Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
            host.Time.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.Equal(10, validator.Cache.Count);
        Assert.True((await validator.ValidateAsync(tokens[0], Ct)).IsValid);
        Assert.Equal(20, validator.FullValidations);

        // Full: the least recently used entries go (tokens[1], not tokens[0] which was just used).
        Assert.True((await validator.ValidateAsync(tokens[10], Ct)).IsValid);
        Assert.True((await validator.ValidateAsync(tokens[10], Ct)).IsValid);
        Assert.InRange(validator.Cache.Count, 1, 10);
        var afterEviction = validator.FullValidations;
        Assert.True((await validator.ValidateAsync(tokens[0], Ct)).IsValid);
        Assert.Equal(afterEviction, validator.FullValidations);
        Assert.True((await validator.ValidateAsync(tokens[1], Ct)).IsValid);
        Assert.Equal(afterEviction + 1, validator.FullValidations);

        foreach (var token in Enumerable.Range(0, 40).Select(_ => host.Issuer.Mint()))
        {
            Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
            Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        }

        Assert.InRange(validator.Cache.Count, 1, 10);
    }

    [Fact]
    public async Task A_cache_size_of_zero_turns_the_cache_off()
    {
        await using var host = await SampleApiHost.StartAsync(o => o.ValidatedTokenCacheSize = 0);
        var validator = host.Validator;
        var token = host.Issuer.Mint();

        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);
        Assert.True((await validator.ValidateAsync(token, Ct)).IsValid);

        Assert.Equal(2, validator.FullValidations);
        Assert.Equal(0, validator.Cache.Count);
    }
}
