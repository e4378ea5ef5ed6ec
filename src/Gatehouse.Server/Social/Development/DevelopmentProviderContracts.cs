using System.Text.Json.Serialization;

namespace Gatehouse.Server.Social.Development;

/// <summary>RFC 6749 §5.1: the successful token response.</summary>
internal sealed record DevelopmentTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn);

/// <summary>RFC 6749 §5.2: the error response of the token endpoint.</summary>
internal sealed record DevelopmentTokenError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string ErrorDescription);

/// <summary>The user resource, shaped like OpenID Connect's UserInfo (§5.3.2); <c>email</c> only when the user shared it.</summary>
internal sealed record DevelopmentUserInfo(
    [property: JsonPropertyName("sub")] string Subject,
    [property: JsonPropertyName("email"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email,
    [property: JsonPropertyName("email_verified")] bool EmailVerified,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("picture")] string? Picture);
