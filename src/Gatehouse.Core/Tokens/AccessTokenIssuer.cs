using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Core.Tokens;

/// <summary>Issues access tokens: RFC 9068 JWTs (<c>typ: at+jwt</c>) signed with the ring's current ES256 key.</summary>
public sealed class AccessTokenIssuer
{
    public const string TokenType = "at+jwt";
    private readonly SigningKeyRing _keys;
    private readonly IOptionsMonitor<TokenOptions> _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public AccessTokenIssuer(SigningKeyRing keys, IOptionsMonitor<TokenOptions> options, TimeProvider time)
    {
        _keys = keys;
        _options = options;
        _time = time;
    }

    /// <param name="authTime">
    /// When the member logged in (OpenID Connect's <c>auth_time</c>): the session's creation, which every refresh carries
    /// forward, so a refreshed token does not pass for a fresh login. Defaults to now.
    /// </param>
    public AccessToken Issue(MemberId subject, SessionId sessionId, DateTimeOffset? authTime = null)
    {
        var options = _options.CurrentValue;
        var now = _time.GetUtcNow();

        // JWT NumericDate has whole seconds (RFC 7519 §2); exp is computed from the truncated iat so that
        // exp - iat is exactly the configured lifetime.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expiresAt = issuedAt + options.AccessTokenLifetime;
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = _keys.GetSigningCredentials(),
            Claims = new Dictionary<string, object>(4, StringComparer.Ordinal)
            {
                [JwtRegisteredClaimNames.AuthTime] = (authTime ?? issuedAt).ToUnixTimeSeconds(),
                [JwtRegisteredClaimNames.Sub] = subject.Value,
                ["sid"] = sessionId.Value,
                [JwtRegisteredClaimNames.Jti] = Base64Id.New(),
            },
        };
        return new AccessToken(_handler.CreateToken(descriptor), expiresAt);
    }
}

public sealed record AccessToken(string Value, DateTimeOffset ExpiresAt);
