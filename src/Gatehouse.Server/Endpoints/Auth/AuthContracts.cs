namespace Gatehouse.Server.Endpoints.Auth;

/// <param name="RefreshTokenDelivery"><c>cookie</c> (default, browsers) or <c>body</c> (native apps).</param>
/// <param name="SignupToken">From a social login's <c>signup_required</c> answer: completes that sign-up (no password; email and nickname as missing).</param>
public sealed record SignupRequest(string? Email, string? Password, string? Nickname, string? RefreshTokenDelivery, string? SignupToken = null);

/// <param name="Provider"><c>password</c> (default) with email and password; a social provider's name with code and state (hand-off flow).</param>
/// <param name="Iss">The RFC 9207 <c>iss</c> parameter of the provider's answer, when it sent one.</param>
/// <param name="Error">The provider's <c>error</c> parameter, when it sent one instead of a code (<c>access_denied</c>: cancelled).</param>
/// <param name="User">Apple only: the <c>user</c> field of its form_post (the name, sent on the first login only).</param>
public sealed record LoginRequest(
    string? Provider, string? Email, string? Password, string? Code, string? State, string? RefreshTokenDelivery, string? Iss = null, string? Error = null, string? User = null);

/// <param name="RefreshToken">For native apps; browsers send the HttpOnly cookie instead.</param>
public sealed record RefreshRequest(string? RefreshToken);

public sealed record LogoutRequest(string? RefreshToken);

/// <summary>The answer to a login, a sign-up or a refresh. The refresh token is in a cookie unless the client asked for it in the body.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, long RefreshExpiresIn)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? RefreshToken { get; init; }
}

public sealed record SessionResponse(string Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string? UserAgent, bool Current);
