using System.Security.Cryptography;
using Gatehouse.Server.Social;
using Gatehouse.Server.Social.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Server.Tests.Social.Providers;

/// <summary>Bad provider settings stop start-up with a message naming the full key; disabled providers are not checked.</summary>
public sealed class SocialOptionsValidationTests
{
    private const string P = "Gatehouse:Social:Providers:";

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "unknown kind", $"{P}corp:Kind=saml;{P}corp:ClientId=x", $"{P}corp:Kind must be one of" },
        { "a name that is no preset, without kind", $"{P}corp:ClientId=x", $"{P}corp:Kind is required" },
        { "missing client id", $"{P}google:ClientSecret=s", $"{P}google:ClientId is required" },
        { "oauth2 without endpoints", $"{P}acme:Kind=oauth2;{P}acme:ClientId=x;{P}acme:TokenEndpoint=https://acme.test/token", $"{P}acme:AuthorizationEndpoint is required for Kind 'oauth2'" },
        { "oauth2 without a user endpoint", $"{P}acme:Kind=oauth2;{P}acme:ClientId=x;{P}acme:AuthorizationEndpoint=https://acme.test/a;{P}acme:TokenEndpoint=https://acme.test/t", $"{P}acme:UserInfoEndpoint is required" },
        { "oidc without issuer", $"{P}corp:Kind=oidc;{P}corp:ClientId=x", $"{P}corp:Issuer is required for Kind 'oidc'" },
        { "a relative URL that is no path", $"{P}kakao:ClientId=x;{P}kakao:TokenEndpoint=kauth.kakao.com/oauth/token", $"{P}kakao:TokenEndpoint must be an absolute https URL" },
        { "plain http off loopback", $"{P}corp:Kind=oidc;{P}corp:ClientId=x;{P}corp:Issuer=http://idp.example.test", $"{P}corp:Issuer must be an absolute https URL" },
        { "an issuer with a query", $"{P}corp:Kind=oidc;{P}corp:ClientId=x;{P}corp:Issuer=https://idp.example.test/?tenant=a", $"{P}corp:Issuer must have no query or fragment" },
        { "an issuer with a fragment", $"{P}corp:Kind=oidc;{P}corp:ClientId=x;{P}corp:Issuer=https://idp.example.test/#a", $"{P}corp:Issuer must have no query or fragment" },
        { "a JSON path with an empty step", $"{P}corp:Kind=oauth2;{P}corp:ClientId=x;{P}corp:AuthorizationEndpoint=https://idp.example.test/a;{P}corp:TokenEndpoint=https://idp.example.test/t;{P}corp:UserInfoEndpoint=https://idp.example.test/u;{P}corp:IdPath=data..id", $"{P}corp:IdPath must be a dotted path of property names" },
        { "a JSON path ending in a dot", $"{P}corp:Kind=oauth2;{P}corp:ClientId=x;{P}corp:AuthorizationEndpoint=https://idp.example.test/a;{P}corp:TokenEndpoint=https://idp.example.test/t;{P}corp:UserInfoEndpoint=https://idp.example.test/u;{P}corp:EmailPath=account.", $"{P}corp:EmailPath must be a dotted path of property names" },
        { "a JSON path of blanks", $"{P}corp:Kind=oauth2;{P}corp:ClientId=x;{P}corp:AuthorizationEndpoint=https://idp.example.test/a;{P}corp:TokenEndpoint=https://idp.example.test/t;{P}corp:UserInfoEndpoint=https://idp.example.test/u;{P}corp:NamePath= ", $"{P}corp:NamePath must be a dotted path of property names" },
        { "apple without team id", $"{P}apple:ClientId=x;{P}apple:KeyId=K;{P}apple:PrivateKey=@key", $"{P}apple:TeamId is required" },
        { "apple without key id", $"{P}apple:ClientId=x;{P}apple:TeamId=T;{P}apple:PrivateKey=@key", $"{P}apple:KeyId is required" },
        { "apple without a key", $"{P}apple:ClientId=x;{P}apple:TeamId=T;{P}apple:KeyId=K", $"{P}apple:PrivateKey (or PrivateKey_FILE) is required" },
        { "apple with a key that is not PEM", $"{P}apple:ClientId=x;{P}apple:TeamId=T;{P}apple:KeyId=K;{P}apple:PrivateKey=MIGTAgEAMBMG", $"{P}apple:PrivateKey cannot be used" },
        { "an unknown client authentication", $"{P}github:ClientId=x;{P}github:TokenEndpointAuthMethod=private_key_jwt", $"{P}github:TokenEndpointAuthMethod must be" },
        { "a provider timeout out of range", "Gatehouse:Social:ProviderTimeout=00:10:00", "Gatehouse:Social:ProviderTimeout must be between" },
        { "a failure ratio of 0", "Gatehouse:Social:CircuitBreaker:FailureRatio=0", "Gatehouse:Social:CircuitBreaker:FailureRatio must be more than 0 and at most 1" },
        { "a failure ratio above 1", "Gatehouse:Social:CircuitBreaker:FailureRatio=1.5", "Gatehouse:Social:CircuitBreaker:FailureRatio must be more than 0 and at most 1" },
        { "a circuit that opens on one call", "Gatehouse:Social:CircuitBreaker:MinimumThroughput=1", "Gatehouse:Social:CircuitBreaker:MinimumThroughput must be at least 2" },
        { "a sampling window too short", "Gatehouse:Social:CircuitBreaker:SamplingDuration=00:00:00.1", "Gatehouse:Social:CircuitBreaker:SamplingDuration must be between" },
        { "a break too long", "Gatehouse:Social:CircuitBreaker:BreakDuration=02:00:00", "Gatehouse:Social:CircuitBreaker:BreakDuration must be between" },
        { "a revocation endpoint over plain http", $"{P}kakao:ClientId=x;{P}kakao:RevocationEndpoint=http://kapi.kakao.example/v1/user/unlink", $"{P}kakao:RevocationEndpoint must be an absolute https URL" },
        { "a name unfit for a URL", $"{P}my provider:Kind=oidc;{P}my provider:ClientId=x;{P}my provider:Issuer=https://idp.test", $"{P}my provider: the name must be" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_is_refused_with_its_key(string what, string settings, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Build(settings).GetRequiredService<ISocialProviderRegistry>());

        Assert.True(error.Failures.Any(f => f.StartsWith(expected, StringComparison.Ordinal)), $"{what}: {string.Join(" | ", error.Failures)}");
    }

    [Fact]
    public void A_disabled_provider_is_neither_checked_nor_offered()
    {
        using var services = Build($"{P}corp:Kind=saml;{P}corp:Enabled=false;{P}github:ClientId=x;{P}github:ClientSecret=s");

        var registry = services.GetRequiredService<ISocialProviderRegistry>();

        Assert.Equal(["github"], registry.Enabled.Select(p => p.Name));
        Assert.True(registry.TryGet("GitHub", out var github));
        Assert.Equal("GitHub", github.DisplayName);
        Assert.False(registry.TryGet("corp", out _));
    }

    [Fact]
    public void Every_preset_builds_with_only_its_client_credentials()
    {
        using var services = Build(string.Join(';', ProviderKinds.All.Where(k => k is not (ProviderKinds.OpenIdConnect or ProviderKinds.OAuth2)).Select(k => $"{P}{k}:ClientId=id-{k}"))
            + $";{P}apple:TeamId=T;{P}apple:KeyId=K;{P}apple:PrivateKey=@key");

        var registry = services.GetRequiredService<ISocialProviderRegistry>();

        Assert.Equal(["apple", "development", "github", "google", "kakao", "naver", "slack"], registry.Enabled.Select(p => p.Name));
        Assert.Equal(["Apple", "Development", "GitHub", "Google", "Kakao", "Naver", "Slack"], registry.Enabled.Select(p => p.DisplayName));
    }

    [Theory]
    [InlineData("kakao", "https://kapi.kakao.com/v1/user/unlink")]
    [InlineData("naver", "https://nid.naver.com/oauth2.0/token")]
    [InlineData("google", "https://oauth2.googleapis.com/revoke")]
    [InlineData("apple", "https://appleid.apple.com/auth/revoke")]
    [InlineData("github", "https://api.github.com/applications/id%2F1/grant")]
    [InlineData("slack", "https://slack.com/api/auth.revoke")]
    [InlineData("oidc", null)]
    [InlineData("oauth2", null)]
    [InlineData("development", null)]
    public void Each_preset_revokes_where_its_provider_documents_it(string kind, string? expected)
    {
        var options = new SocialProviderOptions { Kind = kind, ClientId = "id/1", Issuer = "https://idp.test", TeamId = "T", KeyId = "K", PrivateKey = "unused" };

        Assert.Equal(expected, ProviderPresets.Resolve(kind, options).RevocationEndpoint?.OriginalString);
    }

    /// <summary><paramref name="settings"/>: <c>key=value;…</c>, where the value <c>@key</c> is a fresh P-256 PEM key.</summary>
    private static ServiceProvider Build(string settings)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pairs = settings.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Split('=', 2))
            .Select(kv => new KeyValuePair<string, string?>(kv[0], kv[1] == "@key" ? key.ExportPkcs8PrivateKeyPem() : kv[1]));
        var services = new ServiceCollection().AddLogging();
        services.AddGatehouseSocialProviders(new ConfigurationBuilder().AddInMemoryCollection(pairs).Build());
        return services.BuildServiceProvider();
    }
}
