namespace Gatehouse.Server.Endpoints.Auth;

/// <param name="RefreshTokenDelivery"><c>cookie</c> (default, browsers) or <c>body</c> (native apps).</param>
public sealed record SignupRequest(string? Email, string? Password, string? Nickname, string? RefreshTokenDelivery);

/// <param name="Provider"><c>password</c>; social providers use the same path with their own name.</param>
public sealed record LoginRequest(string? Provider, string? Email, string? Password, string? Code, string? State, string? RefreshTokenDelivery);

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
