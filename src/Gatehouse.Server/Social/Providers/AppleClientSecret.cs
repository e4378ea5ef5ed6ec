using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Server.Social.Providers;

/// <summary>
/// Apple's client secret (Sign in with Apple REST API, "Creating a client secret"): an ES256 JWT, header <c>kid</c> =
/// the key id, claims <c>iss</c> = team id, <c>iat</c>, <c>exp</c> (at most six months later), <c>aud</c> =
/// <c>https://appleid.apple.com</c>, <c>sub</c> = the Services ID. Short-lived here, and reused until near its expiry.
/// </summary>
internal sealed class AppleClientSecret : IDisposable
{
    public const string Audience = "https://appleid.apple.com";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(1);

    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly AppleSigningKey _settings;
    private readonly string _clientId;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly Lock _gate = new();
    private (string Secret, DateTimeOffset ExpiresAt)? _current;

    public AppleClientSecret(AppleSigningKey settings, string clientId, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _clientId = clientId;
        _time = time;
        _key = ECDsa.Create();
        _key.ImportFromPem(settings.PrivateKeyPem);
        _credentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = settings.KeyId }, SecurityAlgorithms.EcdsaSha256)
        {
            // IdentityModel caches signers by key id: a cached one could hold the ECDsa of a disposed instance.
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
    }

    public string Get()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_current is { } current && now < current.ExpiresAt - RenewBefore)
            {
                return current.Secret;
            }

            var expiresAt = now + Lifetime;
            var secret = _handler.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = _settings.TeamId,
                Audience = Audience,
                Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, _clientId)]),
                IssuedAt = now.UtcDateTime,
                Expires = expiresAt.UtcDateTime,
                SigningCredentials = _credentials,
            });
            _current = (secret, expiresAt);
            return secret;
        }
    }

    public void Dispose() => _key.Dispose();
}
