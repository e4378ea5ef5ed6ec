using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Gatehouse.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A stand-in for the Gatehouse server until it is ready: an in-memory host that serves discovery and a JWKS
/// of ES256 keys, counts the requests it gets, and mints access tokens the way Gatehouse does.
/// </summary>
internal sealed class FakeIssuer : IAsyncDisposable
{
    public const string Authority = "https://gatehouse.test";
    public const string Audience = "gatehouse";

    private readonly Lock _gate = new();
    private readonly List<(string Kid, ECDsa Key)> _keys = [];
    private readonly TimeProvider _time;
    private readonly WebApplication _app;
    private int _discoveryRequests;
    private int _jwksRequests;

    private FakeIssuer(TimeProvider time)
    {
        _time = time;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/openid-configuration", () =>
        {
            Interlocked.Increment(ref _discoveryRequests);
            return Results.Text(
                JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["issuer"] = IssuerInDiscovery,
                    ["jwks_uri"] = Authority + "/.well-known/jwks.json",
                }),
                "application/json");
        });
        _app.MapGet("/.well-known/jwks.json", () =>
        {
            Interlocked.Increment(ref _jwksRequests);
            return Results.Text(JsonSerializer.Serialize(new { keys = PublicKeys() }), "application/json");
        });
    }

    /// <summary>What discovery says the issuer is; tests change it to check OpenID Connect Discovery §4.3.</summary>
    public string IssuerInDiscovery { get; set; } = Authority;

    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>The key new tokens are signed with: the one added last.</summary>
    public string CurrentKid
    {
        get
        {
            lock (_gate)
            {
                return _keys[^1].Kid;
            }
        }
    }

    public static async Task<FakeIssuer> StartAsync(TimeProvider time)
    {
        var issuer = new FakeIssuer(time);
        issuer.AddKey();
        await issuer._app.StartAsync(TestContext.Current.CancellationToken);
        return issuer;
    }

    /// <summary>Routes the library's backchannel to this in-memory issuer.</summary>
    public HttpMessageHandler CreateHandler() => _app.GetTestServer().CreateHandler();

    /// <summary>Publishes a new key in the JWKS; tokens minted from now on use it.</summary>
    public string AddKey()
    {
        var kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        lock (_gate)
        {
            _keys.Add((kid, ECDsa.Create(ECCurve.NamedCurves.nistP256)));
        }

        return kid;
    }

    /// <summary>Withdraws a key from the JWKS.</summary>
    public void RemoveKey(string kid)
    {
        lock (_gate)
        {
            var index = _keys.FindIndex(k => k.Kid == kid);
            _keys[index].Key.Dispose();
            _keys.RemoveAt(index);
        }
    }

    public ECDsa KeyFor(string kid)
    {
        lock (_gate)
        {
            return _keys.Single(k => k.Kid == kid).Key;
        }
    }

    /// <summary>A valid access token (sub, sid, jti, iat, exp five minutes later), optionally altered before it is signed.</summary>
    public string Mint(Action<SecurityTokenDescriptor>? alter = null, string sub = "mbr_7Qd2sWc0zPxR4bNn1Lk9aA", string sid = "ses_4fJ8xH2mQ0tV6yZ1cR3pLw")
    {
        var kid = CurrentKid;
        return Sign(new ECDsaSecurityKey(KeyFor(kid)) { KeyId = kid }, alter, sub, sid);
    }

    /// <summary>Like <see cref="Mint"/>, signed with <paramref name="key"/> (which need not be published).</summary>
    public string Sign(SecurityKey key, Action<SecurityTokenDescriptor>? alter = null, string sub = "mbr_7Qd2sWc0zPxR4bNn1Lk9aA", string sid = "ses_4fJ8xH2mQ0tV6yZ1cR3pLw")
    {
        var now = _time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = "at+jwt",
            Issuer = Authority,
            Audience = Audience,
            IssuedAt = issuedAt.UtcDateTime,
            Expires = issuedAt.AddMinutes(5).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = sub,
                ["sid"] = sid,
                ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        };
        alter?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        lock (_gate)
        {
            foreach (var (_, key) in _keys)
            {
                key.Dispose();
            }
        }
    }

    private List<Dictionary<string, string>> PublicKeys()
    {
        lock (_gate)
        {
            return _keys.Select(k =>
            {
                var parameters = k.Key.ExportParameters(includePrivateParameters: false);
                return new Dictionary<string, string>
                {
                    ["kty"] = "EC",
                    ["crv"] = "P-256",
                    ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
                    ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
                    ["kid"] = k.Kid,
                    ["use"] = "sig",
                    ["alg"] = "ES256",
                };
            }).ToList();
        }
    }
}
