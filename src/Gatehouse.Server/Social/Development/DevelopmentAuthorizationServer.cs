using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Errors;

namespace Gatehouse.Server.Social.Development;

/// <summary>Who the developer said they are on the sign-in page.</summary>
internal sealed record DevelopmentUser(string Subject, string? Name, string? Email, bool EmailVerified);

/// <summary>
/// The state of the development provider: issued codes and access tokens, in memory. It serves one process in
/// Development only, so nothing here survives a restart or is shared between instances, by design.
/// </summary>
internal sealed class DevelopmentAuthorizationServer
{
    /// <summary>How long the sign-in page may stay open before its form is refused.</summary>
    public static readonly TimeSpan PageLifetime = TimeSpan.FromMinutes(10);

    /// <summary>RFC 6749 §4.1.2: a code must expire shortly after it is issued.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, IssuedCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly byte[] _requestKey = RandomNumberGenerator.GetBytes(32);
    private long _nextSweepTicks;

    public DevelopmentAuthorizationServer(TimeProvider time) => Time = time;

    public TimeProvider Time { get; }

    public string Protect(DevelopmentAuthorizationRequest request) => request.Protect(_requestKey);

    public DevelopmentAuthorizationRequest? Unprotect(string? value) => DevelopmentAuthorizationRequest.Unprotect(value, _requestKey, Time.GetUtcNow());

    public string IssueCode(DevelopmentAuthorizationRequest request, DevelopmentUser user)
    {
        var now = Time.GetUtcNow();
        Sweep(now);
        var code = NewSecret();
        _codes[code] = new IssuedCode(request.ClientId, request.RedirectUri, request.CodeChallenge, user, now + CodeLifetime);
        return code;
    }

    /// <summary>RFC 6749 §4.1.3 and RFC 7636 §4.6: the code is taken (single use) before anything else is checked.</summary>
    public (string? AccessToken, DevelopmentTokenError? Error) Redeem(string code, string clientId, string? redirectUri, string codeVerifier)
    {
        if (!_codes.TryRemove(code, out var issued) || issued.ExpiresAt <= Time.GetUtcNow())
        {
            return (null, new DevelopmentTokenError(OAuthErrors.InvalidGrant, "The code is unknown, expired or already used."));
        }

        if (!string.Equals(issued.ClientId, clientId, StringComparison.Ordinal))
        {
            return (null, new DevelopmentTokenError(OAuthErrors.InvalidGrant, "The code was issued to another client."));
        }

        // §4.1.3: redirect_uri must be present and identical when the authorization request carried one (it always does here).
        if (!string.Equals(issued.RedirectUri, redirectUri, StringComparison.Ordinal))
        {
            return (null, new DevelopmentTokenError(OAuthErrors.InvalidGrant, "redirect_uri differs from the one of the authorization request."));
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier), digest);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Base64Url.EncodeToString(digest)), Encoding.ASCII.GetBytes(issued.CodeChallenge)))
        {
            return (null, new DevelopmentTokenError(OAuthErrors.InvalidGrant, "code_verifier does not match the code_challenge (PKCE S256)."));
        }

        var token = NewSecret();
        _tokens[token] = new IssuedToken(issued.User, Time.GetUtcNow() + AccessTokenLifetime);
        return (token, null);
    }

    public DevelopmentUser? FindUser(string accessToken) =>
        _tokens.TryGetValue(accessToken, out var issued) && issued.ExpiresAt > Time.GetUtcNow() ? issued.User : null;

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Drops what has expired, at most once a minute: enough to keep a long development session small.</summary>
    private void Sweep(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweepTicks, (now + TimeSpan.FromMinutes(1)).UtcTicks, next) != next)
        {
            return;
        }

        foreach (var (key, value) in _codes)
        {
            if (value.ExpiresAt <= now)
            {
                _codes.TryRemove(key, out _);
            }
        }

        foreach (var (key, value) in _tokens)
        {
            if (value.ExpiresAt <= now)
            {
                _tokens.TryRemove(key, out _);
            }
        }
    }

    private sealed record IssuedCode(string ClientId, string RedirectUri, string CodeChallenge, DevelopmentUser User, DateTimeOffset ExpiresAt);

    private sealed record IssuedToken(DevelopmentUser User, DateTimeOffset ExpiresAt);
}
