using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Social;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Server.Social.Providers;

/// <summary>
/// OpenID Connect Core §3.1.3.7: an id token is accepted only when signed (never <c>alg: none</c>, never a MAC) by a
/// key of the provider's JWKS, issued by the discovered issuer, for this client (and, with several audiences or an
/// <c>azp</c>, authorized for this client), unexpired (60 s of skew), and carrying the nonce this login sent.
/// </summary>
internal sealed class IdTokenValidator(OpenIdConnectMetadata metadata, string clientId, string provider, TimeProvider time)
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The validated token's claims. <paramref name="nonce"/> null: a signed token that is not an id token of a login (no nonce to check).</summary>
    /// <exception cref="SocialProviderException"><see cref="SocialErrors.InvalidIdToken"/>, or <see cref="SocialErrors.ProviderError"/> when the keys cannot be had.</exception>
    /// <param name="otherAudience">An audience accepted besides the client id (Apple's notifications name the primary App ID).</param>
    public async Task<JsonElement> ValidateAsync(string? idToken, string? nonce, CancellationToken cancellationToken, string? otherAudience = null)
    {
        if (string.IsNullOrEmpty(idToken))
        {
            throw Invalid("the token response has no id token");
        }

        JsonWebToken token;
        try
        {
            token = _handler.ReadJsonWebToken(idToken);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            throw Invalid("it is not a JWT", e);
        }

        var configuration = await metadata.GetAsync(cancellationToken);
        if (!string.IsNullOrEmpty(token.Kid) && !configuration.JsonWebKeySet.Keys.Any(k => k.Kid == token.Kid))
        {
            // A key the provider started signing with after the keys were fetched: fetch them once more.
            configuration = await metadata.RefreshAsync(cancellationToken);
        }

        var result = await _handler.ValidateTokenAsync(token, Parameters(configuration, otherAudience));
        if (!result.IsValid)
        {
            throw Invalid(Reason(result.Exception), result.Exception);
        }

        var claims = JsonSerializer.Deserialize<JsonElement>(Base64Url.DecodeFromChars(token.EncodedPayload));

        // §3.1.3.7 items 4 and 5: a token for several audiences must name its authorized party, and an authorized
        // party, when named, must be this client: a token some other client obtained does not log anyone in here.
        var authorizedParty = ProviderJson.Text(claims, "azp");
        if (authorizedParty is null ? token.Audiences.Skip(1).Any() : !string.Equals(authorizedParty, clientId, StringComparison.Ordinal))
        {
            throw Invalid("it was issued to another party (azp)");
        }

        if (nonce is null)
        {
            // Not an id token of a login (a provider's signed notification): nothing to tie it to.
            return claims;
        }

        // §3.1.2.1 and §3.1.3.7 item 11: the nonce ties the token to this login; compared in constant time.
        var received = ProviderJson.Text(claims, "nonce");
        if (received is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(received), Encoding.UTF8.GetBytes(nonce)))
        {
            throw Invalid("its nonce is not this login's");
        }

        return claims;
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration, string? otherAudience) => new()
    {
        ValidIssuer = configuration.Issuer,
        ValidAudiences = otherAudience is null ? [clientId] : [clientId, otherAudience],
        IssuerSigningKeys = configuration.SigningKeys,
        ValidAlgorithms = AsymmetricAlgorithms,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ClockSkew = ClockSkew,
        LifetimeValidator = (notBefore, expires, _, parameters) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            // A token without nbf comes here as DateTime.MinValue.
            return expires is { } exp && now <= exp + parameters.ClockSkew && (notBefore is not { } nbf || nbf == DateTime.MinValue || now >= nbf - parameters.ClockSkew);
        },
    };

    private static string Reason(Exception? e) => e switch
    {
        SecurityTokenInvalidIssuerException => "it was issued by another issuer",
        SecurityTokenInvalidAudienceException => "it was issued to another client",
        SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException => "it has expired or is not valid yet",
        SecurityTokenInvalidAlgorithmException => "its algorithm is not accepted",
        SecurityTokenSignatureKeyNotFoundException => "it is signed by a key the provider does not publish",
        SecurityTokenInvalidSignatureException => "its signature is not valid",
        _ => "it is not valid",
    };

    private SocialProviderException Invalid(string reason, Exception? inner = null) =>
        new(SocialErrors.InvalidIdToken, $"{provider}: the id token was refused: {reason}.", null, inner);
}
