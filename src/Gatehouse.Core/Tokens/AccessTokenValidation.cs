using Gatehouse.Core.Keys;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Core.Tokens;

/// <summary>How Gatehouse itself validates its access tokens: the algorithm is pinned, and issuer, audience, lifetime and type are checked.</summary>
public static class AccessTokenValidation
{
    public static TokenValidationParameters CreateParameters(SigningKeyRing keys, TokenOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        return new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            ValidAlgorithms = [SigningKeyRing.Algorithm],

            // RFC 9068 §4: the resource server checks typ, so an id token or another JWT cannot pass as an access token.
            ValidTypes = [AccessTokenIssuer.TokenType],
            ClockSkew = options.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeyResolver = (_, _, kid, _) => keys.ResolveValidationKeys(kid),
            LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now <= exp + parameters.ClockSkew && (notBefore is not { } nbf || now >= nbf - parameters.ClockSkew);
            },
            NameClaimType = "sub",
        };
    }
}
