using Gatehouse.AspNetCore.Discovery;
using Gatehouse.AspNetCore.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.AspNetCore;

/// <summary>
/// Validates Gatehouse access tokens: ES256 signature by a key from the issuer's JWKS, <c>typ</c> <c>at+jwt</c>,
/// <c>iss</c>, <c>aud</c>, <c>exp</c> (required) and <c>nbf</c> with the configured skew. Tokens that passed are
/// remembered until their <c>exp</c>. The <c>Gatehouse</c> authentication scheme uses the instance registered
/// in DI, so direct callers (background jobs, benchmarks, WebSocket handshakes) share its keys and cache.
/// </summary>
public sealed class GatehouseTokenValidator
{
    /// <summary>A Gatehouse access token is under 1 KB; anything much larger is refused before it is parsed or hashed.</summary>
    internal const int MaximumTokenLength = 16 * 1024;

    private readonly GatehouseAuthenticationOptions _options;
    private readonly IssuerMetadataCache _metadata;
    private readonly ValidatedTokenCache _cache;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaximumTokenLength };
    private ParametersFor? _parameters;
    private long _fullValidations;

    internal GatehouseTokenValidator(IOptions<GatehouseAuthenticationOptions> options, IssuerMetadataCache metadata, TimeProvider time, ILogger<GatehouseTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metadata = metadata;
        _time = time;
        _logger = logger;
        _cache = new ValidatedTokenCache(_options.ValidatedTokenCacheSize, time);
    }

    internal ValidatedTokenCache Cache => _cache;

    internal IssuerMetadataCache Metadata => _metadata;

    /// <summary>How many tokens went through full (signature) validation rather than the cache.</summary>
    internal long FullValidations => Interlocked.Read(ref _fullValidations);

    /// <summary>
    /// Validates <paramref name="token"/> (the compact JWS, without <c>Bearer </c>). Expected failures come back
    /// as a result with <see cref="TokenValidationResult.IsValid"/> false and the reason in
    /// <see cref="TokenValidationResult.Exception"/>; nothing is thrown for a bad token.
    /// </summary>
    public ValueTask<TokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length == 0 || token.Length > MaximumTokenLength)
        {
            return ValueTask.FromResult(Failure(new SecurityTokenMalformedException($"The token is empty or longer than {MaximumTokenLength} characters.")));
        }

        if (!TokenHash.TryCompute(token, out var hash))
        {
            return ValueTask.FromResult(Failure(new SecurityTokenMalformedException("The token is not a compact JWS: it has characters outside ASCII.")));
        }

        var metadata = _metadata.Current;
        if (metadata is not null && _cache.TryGet(hash, metadata.Generation, out var cached))
        {
            return ValueTask.FromResult(cached);
        }

        return ValidateFullyAsync(token, hash, metadata, cancellationToken);
    }

    private async ValueTask<TokenValidationResult> ValidateFullyAsync(string token, TokenHash hash, IssuerMetadata? metadata, CancellationToken cancellationToken)
    {
        metadata ??= await _metadata.GetAsync(cancellationToken);
        if (metadata is null)
        {
            _logger.SigningKeysUnavailable(_metadata.MetadataAddress);
            return Failure(new SecurityTokenSignatureKeyNotFoundException("The issuer's signing keys are not available."));
        }

        Interlocked.Increment(ref _fullValidations);
        var result = await _handler.ValidateTokenAsync(token, GetParameters(metadata));
        if (!result.IsValid && NamesUnknownKey(result))
        {
            // Keys rotate: a new key is published before it signs, but we may hold a JWKS from before that.
            var refreshed = await _metadata.RefreshForUnknownKeyAsync(metadata, cancellationToken);
            if (!ReferenceEquals(refreshed, metadata))
            {
                metadata = refreshed;
                result = await _handler.ValidateTokenAsync(token, GetParameters(metadata));
            }
        }

        if (result.IsValid)
        {
            _cache.Add(hash, result, metadata.Generation);
        }

        return result;
    }

    // The handler raises SecurityTokenSignatureKeyNotFoundException only after iss, aud and lifetime passed,
    // so a refetch needs at least a plausible token; the rate limit in IssuerMetadataCache does the rest.
    private static bool NamesUnknownKey(TokenValidationResult result) =>
        result.Exception is SecurityTokenSignatureKeyNotFoundException
        && result.TokenOnFailedValidation is JsonWebToken { Kid.Length: > 0 };

    private TokenValidationParameters GetParameters(IssuerMetadata metadata)
    {
        var current = Volatile.Read(ref _parameters);
        if (current is not null && ReferenceEquals(current.Metadata, metadata))
        {
            return current.Parameters;
        }

        var created = new ParametersFor(metadata, CreateParameters(metadata));
        Volatile.Write(ref _parameters, created);
        return created.Parameters;
    }

    private TokenValidationParameters CreateParameters(IssuerMetadata metadata) => new()
    {
        AuthenticationType = GatehouseDefaults.AuthenticationScheme,
        NameClaimType = GatehouseDefaults.SubjectClaim,
        RoleClaimType = "role",

        ValidIssuer = metadata.Issuer,
        ValidAudience = _options.Audience,
        RequireAudience = true,

        // RFC 8725 §3.1: accept the one algorithm Gatehouse signs with, never what the token's header asks for.
        ValidAlgorithms = [GatehouseDefaults.Algorithm],

        // RFC 9068 §4: typ must be at+jwt (or its full media type), so an id token or another JWT signed by
        // the same keys cannot pass as an access token.
        ValidTypes = [GatehouseDefaults.AccessTokenType, "application/" + GatehouseDefaults.AccessTokenType],

        IssuerSigningKeys = metadata.SigningKeys,
        RequireSignedTokens = true,

        // The kid must name a key: trying every key would let a token with a made-up kid cost one
        // signature check per key.
        TryAllIssuerSigningKeys = false,

        RequireExpirationTime = true,
        ClockSkew = _options.ClockSkew,
        LifetimeValidator = ValidateLifetime,

        // Lets NamesUnknownKey see the kid of a refused token.
        IncludeTokenOnFailedValidation = true,
    };

    // IdentityModel's own lifetime check reads a clock we cannot set from outside; this one reads TimeProvider.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken securityToken, TokenValidationParameters validationParameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var skew = _options.ClockSkew;

        // RFC 9068 §2.2: exp is required. (After a signature failure IdentityModel passes a missing exp as MinValue.)
        if (expires is not { } exp || exp == DateTime.MinValue)
        {
            throw new SecurityTokenNoExpirationException("The token has no 'exp' claim.");
        }

        if (notBefore is { } nbf && nbf > now + skew)
        {
            throw new SecurityTokenNotYetValidException($"The token is not valid before {nbf:O}.") { NotBefore = nbf };
        }

        // RFC 7519 §4.1.4: not accepted on or after exp.
        if (now >= exp + skew)
        {
            throw new SecurityTokenExpiredException($"The token expired at {exp:O}.") { Expires = exp };
        }

        return true;
    }

    private static TokenValidationResult Failure(Exception exception) => new() { IsValid = false, Exception = exception };

    private sealed record ParametersFor(IssuerMetadata Metadata, TokenValidationParameters Parameters);
}
