using System.Net;
using System.Security.Cryptography;
using Gatehouse.AspNetCore.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Gatehouse.AspNetCore.Tests;

/// <summary>Fetching the issuer's keys: when, how often, and what no one can make us do.</summary>
public sealed class KeyRotationTests
{
    [Fact]
    public async Task A_token_signed_by_a_new_key_is_accepted_once_the_keys_may_be_fetched_again()
    {
        await using var host = await SampleApiHost.StartAsync();
        using (var first = await host.GetAsync("/api/hello", host.Issuer.Mint()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(1, host.Issuer.JwksRequests);

        host.Issuer.AddKey();
        var rotated = host.Issuer.Mint();

        // The keys were fetched a moment ago: an unknown kid does not fetch them again yet.
        host.Time.Advance(TimeSpan.FromSeconds(29));
        using (var tooSoon = await host.GetAsync("/api/hello", rotated))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tooSoon.StatusCode);
        }

        Assert.Equal(1, host.Issuer.JwksRequests);

        // Past MinimumUnknownKidRefreshInterval the same token triggers one fetch and passes in that request.
        host.Time.Advance(TimeSpan.FromSeconds(2));
        using (var accepted = await host.GetAsync("/api/hello", rotated))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal(2, host.Issuer.JwksRequests);
    }

    [Fact]
    public async Task A_flood_of_tokens_with_made_up_kids_fetches_the_keys_at_most_once()
    {
        await using var host = await SampleApiHost.StartAsync();
        var good = host.Issuer.Mint();
        using (var warmUp = await host.GetAsync("/api/hello", good))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        host.Time.Advance(TimeSpan.FromSeconds(31));
        var before = host.Issuer.JwksRequests;

        // Each token is plausible (right iss, aud, exp, typ) and properly signed, by a key no one published.
        var forged = Enumerable.Range(0, 100).Select(_ =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return host.Issuer.Sign(new ECDsaSecurityKey(key) { KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)) });
        }).ToList();

        var concurrent = await Task.WhenAll(forged.Take(50).Select(t => host.GetAsync("/api/hello", t)));
        var sequential = new List<HttpResponseMessage>();
        foreach (var token in forged.Skip(50))
        {
            sequential.Add(await host.GetAsync("/api/hello", token));
        }

        Assert.All(concurrent.Concat(sequential), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.InRange(host.Issuer.JwksRequests - before, 0, 1);
        foreach (var response in concurrent.Concat(sequential))
        {
            response.Dispose();
        }

        using var stillFine = await host.GetAsync("/api/hello", good);
        Assert.Equal(HttpStatusCode.OK, stillFine.StatusCode);
    }

    [Fact]
    public async Task Keys_are_fetched_again_in_the_background_after_the_refresh_interval()
    {
        await using var host = await SampleApiHost.StartAsync();
        var validator = host.Validator;
        var ct = TestContext.Current.CancellationToken;
        Assert.True((await validator.ValidateAsync(host.Issuer.Mint(), ct)).IsValid);
        Assert.Equal(1, host.Issuer.JwksRequests);

        host.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.True((await validator.ValidateAsync(host.Issuer.Mint(), ct)).IsValid);
        await host.KeyFetchSettledAsync();
        Assert.Equal(1, host.Issuer.JwksRequests);

        host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await validator.ValidateAsync(host.Issuer.Mint(), ct)).IsValid);
        await host.KeyFetchSettledAsync();
        Assert.Equal(2, host.Issuer.JwksRequests);
    }

    [Fact]
    public async Task An_issuer_that_does_not_answer_is_asked_again_only_after_a_growing_delay()
    {
        using var down = new UnavailableHandler();
        await using var host = await SampleApiHost.StartAsync(o => o.BackchannelHttpHandler = down);
        var validator = host.Validator;
        var token = host.Issuer.Mint();
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 20; i++)
        {
            Assert.False((await validator.ValidateAsync(token, ct)).IsValid);
        }

        Assert.Equal(1, validator.Metadata.FetchCount);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await validator.ValidateAsync(token, ct)).IsValid);
        Assert.False((await validator.ValidateAsync(token, ct)).IsValid);
        Assert.Equal(2, validator.Metadata.FetchCount);

        // The second failure doubles the delay to 2 s.
        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await validator.ValidateAsync(token, ct)).IsValid);
        Assert.Equal(2, validator.Metadata.FetchCount);
    }

    [Fact]
    public async Task Keys_from_a_discovery_document_naming_another_issuer_are_not_used()
    {
        await using var host = await SampleApiHost.StartAsync();
        host.Issuer.IssuerInDiscovery = "https://elsewhere.example";

        using var response = await host.GetAsync("/api/hello", host.Issuer.Mint(d => d.Issuer = "https://elsewhere.example"));
        var result = await host.Validator.ValidateAsync(host.Issuer.Mint(), TestContext.Current.CancellationToken);

        // OpenID Connect Discovery 1.0 §4.3: the document must name the authority it was fetched from.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(result.Exception);
    }

    private sealed class UnavailableHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
    }
}
