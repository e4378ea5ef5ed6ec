using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, a random port) that imitates one provider's documented endpoints and
/// JSON, quirks included: Kakao's <c>kakao_account</c>, Naver's <c>resultcode</c> and string <c>expires_in</c>,
/// GitHub's HTTP-200 errors and <c>/user/emails</c>, Slack's <c>{"ok": false}</c>, Apple's form_post and signed
/// client secret, OpenID Connect discovery, JWKS and signed id tokens.
/// <para>
/// Its authorization endpoint approves <see cref="NextUser"/> at once; its token endpoint checks the client, the
/// redirect URI, single use of the code and PKCE S256, and answers in the provider's style. Knobs
/// (<see cref="Fault"/>, <see cref="Tampering"/>, <see cref="DenyNextAuthorization"/>, …) make it misbehave;
/// <see cref="Reset"/> puts them back. One instance serves one test class (a fixture); tests of a class run one at a time.
/// </para>
/// <para>Point Gatehouse at it with <see cref="Settings"/> (or <see cref="ApplyTo"/> for <c>GatehouseFactory</c>).</para>
/// </summary>
public sealed partial class FakeProviderServer : IAsyncDisposable
{
    public const string AppleTeamId = "TEAM123456";
    public const string AppleKeyId = "KEY1234567";

    private static readonly HttpClient Browser = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private readonly WebApplication _app;
    private readonly FakeSigningKeys _keys = new();
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeUser> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<FakeEndpoint, int> _calls = new();
    private readonly ConcurrentDictionary<FakeEndpoint, (FakeFault Fault, int Remaining)> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _appleSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _issued = new();
    private readonly ECDsa _appleKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private FakeProviderServer(FakeProviderKind kind, WebApplication app)
    {
        Kind = kind;
        _app = app;
        ClientId = kind == FakeProviderKind.Development ? "gatehouse-dev" : $"client-{kind.ToString().ToLowerInvariant()}";
        ClientSecret = kind is FakeProviderKind.Development or FakeProviderKind.Apple ? null : "secret-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        ApplePrivateKeyPem = _appleKey.ExportPkcs8PrivateKeyPem();
        Reset();
    }

    public FakeProviderKind Kind { get; }

    /// <summary>Kakao: the app's admin key (unlink, and what its unlink callback sends).</summary>
    public string AdminKey { get; } = "admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary><c>http://127.0.0.1:port</c>, no trailing slash: also the issuer of its id tokens and discovery document.</summary>
    public string Issuer { get; private set; } = string.Empty;

    public string ClientId { get; }

    /// <summary>Null for the development shape (a public client) and Apple (whose secret is a JWT signed with <see cref="ApplePrivateKeyPem"/>).</summary>
    public string? ClientSecret { get; }

    /// <summary>Apple: the .p8 key (PKCS #8 PEM) whose public half verifies the client secret.</summary>
    public string ApplePrivateKeyPem { get; }

    /// <summary>The clock of its tokens (<c>iat</c>, <c>exp</c>) and of the Apple client-secret check.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Who the next authorization signs in.</summary>
    public FakeUser NextUser { get; set; } = null!;

    /// <summary>The next authorization is cancelled by the user (<c>access_denied</c>; Apple: <c>user_cancelled_authorize</c>).</summary>
    public bool DenyNextAuthorization { get; set; }

    public IdTokenTampering Tampering { get; set; }

    /// <summary>Adds RFC 9207's <c>iss</c> to authorization responses.</summary>
    public bool SendIssuerParameter { get; set; }

    /// <summary>The token endpoint refuses the client unless it sends <see cref="ClientSecret"/> (false: Kakao without a secret).</summary>
    public bool RequireClientSecret { get; set; }

    /// <summary>Kakao: the discovery document, the <c>openid</c> scope and id tokens (Kakao Login's OpenID Connect).</summary>
    public bool KakaoOpenIdConnect { get; set; }

    /// <summary>The token endpoint answers this error code, in the provider's style (HTTP 200 for GitHub, Naver, Slack).</summary>
    public string? TokenError { get; set; }

    /// <summary>The user endpoint fails: Naver answers this <c>resultcode</c>, Slack <c>{"ok": false, "error": this}</c>, others HTTP 401 with it.</summary>
    public string? UserInfoError { get; set; }

    /// <summary>Generic OpenID Connect: the discovery document's <c>token_endpoint_auth_methods_supported</c>.</summary>
    public IReadOnlyList<string> TokenEndpointAuthMethods { get; set; } = [];

    /// <summary>How long <see cref="FakeFault.Slow"/> waits.</summary>
    public TimeSpan SlowDelay { get; set; }

    /// <summary>How the client authenticated at the last token request: client_secret_basic, client_secret_post or none.</summary>
    public string? LastClientAuthentication { get; private set; }

    /// <summary>The form fields of the last token request, secrets left out.</summary>
    public IReadOnlyDictionary<string, string> LastTokenRequest { get; private set; } = new Dictionary<string, string>();

    /// <summary>Apple: client-secret JWTs whose signature, kid, iss, sub, aud and lifetime checked out.</summary>
    public int VerifiedClientSecrets { get; private set; }

    /// <summary>Bytes written by the last <see cref="FakeFault.HugeBody"/> before the client hung up.</summary>
    public long HugeBodyBytesWritten { get; private set; }

    /// <summary>Every code, access token and id token it issued, and the client secret: none may ever appear in a log.</summary>
    public IEnumerable<string> Secrets => _issued.Concat(ClientSecret is null ? [] : [ClientSecret]).Append(AdminKey);

    public static async Task<FakeProviderServer> StartAsync(FakeProviderKind kind)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeProviderServer(kind, app);
        server.MapEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Issuer = address.TrimEnd('/');
        return server;
    }

    /// <summary>
    /// <c>Gatehouse:Social:Providers:&lt;providerName&gt;:*</c> pointing at this fake: kind, client id and secret, and
    /// its endpoints (or its issuer, for OpenID Connect shapes).
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings(string providerName)
    {
        var prefix = $"Gatehouse:Social:Providers:{providerName}:";
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [prefix + "Kind"] = KindName,
            [prefix + "ClientId"] = ClientId,
        };
        if (ClientSecret is not null)
        {
            settings[prefix + "ClientSecret"] = ClientSecret;
        }

        if (IsOpenIdConnect)
        {
            settings[prefix + "Issuer"] = Issuer;
        }

        if (Kind == FakeProviderKind.Kakao)
        {
            settings[prefix + "UseOpenIdConnect"] = KakaoOpenIdConnect ? "true" : "false";
        }

        if (Kind is FakeProviderKind.Kakao or FakeProviderKind.Google or FakeProviderKind.GitHub or FakeProviderKind.Slack or FakeProviderKind.Apple or FakeProviderKind.OAuth2)
        {
            settings[prefix + "RevocationEndpoint"] = Issuer + RevocationPath;
        }

        if (Kind == FakeProviderKind.Kakao)
        {
            settings[prefix + "AdminKey"] = AdminKey;
        }

        if (Kind is FakeProviderKind.Kakao or FakeProviderKind.Naver or FakeProviderKind.GitHub or FakeProviderKind.OAuth2 or FakeProviderKind.Development)
        {
            settings[prefix + "AuthorizationEndpoint"] = Issuer + Paths.Authorize;
            settings[prefix + "TokenEndpoint"] = Issuer + Paths.Token;
            settings[prefix + "UserInfoEndpoint"] = Issuer + Paths.UserInfo;
        }

        switch (Kind)
        {
            case FakeProviderKind.GitHub:
                settings[prefix + "EmailsEndpoint"] = Issuer + "/user/emails";
                break;
            case FakeProviderKind.Apple:
                settings[prefix + "TeamId"] = AppleTeamId;
                settings[prefix + "KeyId"] = AppleKeyId;
                settings[prefix + "PrivateKey"] = ApplePrivateKeyPem;
                break;
            case FakeProviderKind.OAuth2:
                settings[prefix + "IdPath"] = "data.id";
                settings[prefix + "EmailPath"] = "data.contact.email";
                settings[prefix + "EmailVerifiedPath"] = "data.contact.verified";
                settings[prefix + "NamePath"] = "data.profile.display_name";
                settings[prefix + "PicturePath"] = "data.profile.avatar.url";
                break;
        }

        return settings;
    }

    /// <summary>Adds <see cref="Settings"/> to a settings dictionary (<c>new GatehouseFactory(s => fake.ApplyTo(s, "kakao"))</c>).</summary>
    public void ApplyTo(IDictionary<string, string?> settings, string providerName)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in Settings(providerName))
        {
            settings[key] = value;
        }
    }

    /// <summary>What a browser would do with the authorization URL: GET it (no redirects followed) and read the answer.</summary>
    public static async Task<AuthorizationCallback> AuthorizeAsync(Uri authorizationUrl)
    {
        using var response = await Browser.GetAsync(authorizationUrl);
        return await AuthorizationCallback.ReadAsync(response);
    }

    /// <summary>Every later request to <paramref name="endpoint"/> fails this way, <paramref name="times"/> times (then it recovers).</summary>
    public void Fault(FakeEndpoint endpoint, FakeFault fault, int times = int.MaxValue) => _faults[endpoint] = (fault, times);

    /// <summary>Requests <paramref name="endpoint"/> received since the last <see cref="Reset"/>, failed ones included.</summary>
    public int Calls(FakeEndpoint endpoint) => _calls.GetValueOrDefault(endpoint);

    /// <summary>The provider starts signing with a new key; the old one leaves the JWKS.</summary>
    public void RotateSigningKey() => _keys.Rotate();

    /// <summary>Back to a well-behaved provider with its default user; counters at zero, every first login forgotten.</summary>
    public void Reset()
    {
        NextUser = FakeUser.For(Kind);
        DenyNextAuthorization = false;
        Tampering = IdTokenTampering.None;
        SendIssuerParameter = false;
        RequireClientSecret = ClientSecret is not null;
        TokenError = null;
        UserInfoError = null;
        TokenEndpointAuthMethods = [ClientAuthenticationBasic, ClientAuthenticationPost];
        SlowDelay = TimeSpan.FromSeconds(30);
        LastClientAuthentication = null;
        LastTokenRequest = new Dictionary<string, string>();
        VerifiedClientSecrets = 0;
        HugeBodyBytesWritten = 0;
        AccessTokenLifetime = TimeSpan.FromHours(1);
        RevocationError = null;
        _revocations.Clear();
        _faults.Clear();
        _calls.Clear();
        _appleSeen.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _keys.Dispose();
        _appleKey.Dispose();
    }

    private bool IsOpenIdConnect => Kind is FakeProviderKind.Google or FakeProviderKind.Slack or FakeProviderKind.Apple or FakeProviderKind.OpenIdConnect
        || (Kind == FakeProviderKind.Kakao && KakaoOpenIdConnect);

    private string KindName => Kind switch
    {
        FakeProviderKind.OpenIdConnect => "oidc",
        FakeProviderKind.OAuth2 => "oauth2",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>An authorization the token endpoint has not redeemed yet.</summary>
    private sealed record Grant(string ClientId, string RedirectUri, string? CodeChallenge, string? Nonce, string? State, string Scope, FakeUser User);
}
