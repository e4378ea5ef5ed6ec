using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>The fake's user resources, id tokens and discovery: each provider's JSON as its documentation shows it.</summary>
public sealed partial class FakeProviderServer
{
    private IResult UserInfo(HttpContext context)
    {
        if (Kind == FakeProviderKind.GitHub && string.IsNullOrEmpty(context.Request.Headers.UserAgent))
        {
            // GitHub's REST API refuses requests without a User-Agent.
            return Results.Json(new { message = "Request forbidden by administrative rules. Please make sure your request has a User-Agent header." }, statusCode: StatusCodes.Status403Forbidden);
        }

        if (Bearer(context) is not { } user)
        {
            return Kind switch
            {
                FakeProviderKind.Kakao => Results.Json(new { msg = "this access token does not exist", code = -401 }, statusCode: StatusCodes.Status401Unauthorized),
                FakeProviderKind.Naver => Results.Json(new { resultcode = "024", message = "Authentication failed / 인증에 실패했습니다." }, statusCode: StatusCodes.Status401Unauthorized),
                FakeProviderKind.Slack => Results.Json(new { ok = false, error = "invalid_auth" }),
                FakeProviderKind.GitHub => Results.Json(new { message = "Bad credentials" }, statusCode: StatusCodes.Status401Unauthorized),
                _ => Results.Json(new { error = "invalid_token" }, statusCode: StatusCodes.Status401Unauthorized),
            };
        }

        if (UserInfoError is { } failure)
        {
            return Kind switch
            {
                FakeProviderKind.Naver => Results.Json(new { resultcode = failure, message = "Failed" }),
                FakeProviderKind.Slack => Results.Json(new { ok = false, error = failure }),
                _ => Results.Json(new { error = failure }, statusCode: StatusCodes.Status401Unauthorized),
            };
        }

        return Results.Json(UserJson(user));
    }

    private object UserJson(FakeUser user) => Kind switch
    {
        // Kakao: GET /v2/user/me, "kakao_account" with the agreed items.
        FakeProviderKind.Kakao => new
        {
            id = long.Parse(user.Subject, System.Globalization.CultureInfo.InvariantCulture),
            connected_at = "2026-11-22T09:00:00Z",
            kakao_account = new Dictionary<string, object?>
            {
                ["profile_needs_agreement"] = false,
                ["profile"] = new { nickname = user.Name, thumbnail_image_url = user.Picture, profile_image_url = user.Picture, is_default_image = user.Picture is null },
                ["has_email"] = user.Email is not null,
                ["email_needs_agreement"] = user.Email is null,
                ["is_email_valid"] = user.Email is null ? null : user.EmailValid,
                ["is_email_verified"] = user.Email is null ? null : user.EmailVerified,
                ["email"] = user.Email,
            },
        },

        // Naver: GET /v1/nid/me.
        FakeProviderKind.Naver => new
        {
            resultcode = "00",
            message = "success",
            response = new { id = user.Subject, nickname = user.Name, name = "김" + user.Name, email = user.Email, profile_image = user.Picture },
        },

        FakeProviderKind.GitHub => new
        {
            login = user.Login,
            id = long.Parse(user.Subject, System.Globalization.CultureInfo.InvariantCulture),
            avatar_url = user.Picture,
            name = user.Name,
            email = user.EmailIsPublic ? user.Email : null,
        },

        FakeProviderKind.Slack => new Dictionary<string, object?>
        {
            ["ok"] = true,
            ["sub"] = user.Subject,
            ["https://slack.com/user_id"] = user.Subject,
            ["https://slack.com/team_id"] = "T0R7GR",
            ["email"] = user.Email,
            ["email_verified"] = user.EmailVerified,
            ["name"] = user.Name,
            ["picture"] = user.Picture,
        },

        // A generic provider with a nested document, read through IdPath, EmailPath…
        FakeProviderKind.OAuth2 => new
        {
            data = new
            {
                id = long.Parse(user.Subject, System.Globalization.CultureInfo.InvariantCulture),
                contact = new { email = user.Email, verified = user.EmailVerified },
                profile = new { display_name = user.Name, avatar = new { url = user.Picture } },
            },
        },

        _ => new { sub = user.Subject, email = user.Email, email_verified = user.EmailVerified, name = user.Name, picture = user.Picture },
    };

    /// <summary>GitHub: GET /user/emails, every address with primary and verified.</summary>
    private IResult Emails(HttpContext context)
    {
        if (Bearer(context) is not { } user)
        {
            return Results.Json(new { message = "Bad credentials" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        var emails = new List<object> { new { email = $"{user.Login}@users.noreply.github.test", primary = false, verified = true, visibility = (string?)null } };
        if (user.Email is not null)
        {
            emails.Add(new { email = user.Email, primary = true, verified = user.EmailVerified, visibility = user.EmailIsPublic ? "public" : null });
        }

        return Results.Json(emails);
    }

    private IResult Discovery()
    {
        if (!IsOpenIdConnect)
        {
            return Results.NotFound();
        }

        var paths = Paths;
        var document = new Dictionary<string, object?>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + paths.Authorize,
            ["token_endpoint"] = Issuer + paths.Token,
            ["jwks_uri"] = Issuer + paths.Jwks,
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["scopes_supported"] = new[] { "openid", "email", "profile" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["authorization_response_iss_parameter_supported"] = SendIssuerParameter,
        };
        if (Kind != FakeProviderKind.Apple)
        {
            document["userinfo_endpoint"] = Issuer + paths.UserInfo;
        }

        if (Kind == FakeProviderKind.OpenIdConnect)
        {
            document["token_endpoint_auth_methods_supported"] = TokenEndpointAuthMethods;
            document["revocation_endpoint"] = Issuer + RevocationPath;
        }

        return Results.Json(document);
    }

    /// <summary>An id token with each provider's claims (Apple's booleans as strings), broken as <see cref="Tampering"/> says.</summary>
    private string IdToken(Grant grant)
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        var user = grant.User;
        var claims = new Dictionary<string, object?>
        {
            ["iss"] = Tampering == IdTokenTampering.WrongIssuer ? "https://evil.test" : Issuer,
            ["sub"] = user.Subject,
            ["aud"] = Tampering == IdTokenTampering.WrongAudience ? "another-client" : ClientId,
            ["iat"] = Tampering == IdTokenTampering.Expired ? now - 7200 : now,
            ["exp"] = Tampering == IdTokenTampering.Expired ? now - 3600 : now + 600,
            ["auth_time"] = now,
        };
        if (grant.Nonce is not null)
        {
            claims["nonce"] = Tampering == IdTokenTampering.WrongNonce ? "not-this-logins-nonce" : grant.Nonce;
        }

        // Google names the client the token was issued to (azp) in every id token.
        claims["azp"] = Tampering switch
        {
            IdTokenTampering.AnotherAuthorizedParty => "another-client",
            IdTokenTampering.SeveralAudiencesWithoutAuthorizedParty => null,
            _ => Kind == FakeProviderKind.Google ? ClientId : null,
        };
        if (Tampering is IdTokenTampering.AnotherAuthorizedParty or IdTokenTampering.SeveralAudiencesWithoutAuthorizedParty)
        {
            claims["aud"] = new[] { ClientId, "another-client" };
        }

        switch (Kind)
        {
            case FakeProviderKind.Apple:
                claims["email"] = user.Email;
                claims["email_verified"] = user.EmailVerified ? "true" : "false";
                claims["is_private_email"] = user.Email?.Contains("privaterelay", StringComparison.Ordinal) == true ? "true" : "false";
                claims["nonce_supported"] = true;
                break;
            case FakeProviderKind.Kakao:
                claims["nickname"] = user.Name;
                claims["picture"] = user.Picture;
                claims["email"] = user.Email;
                break;
            case FakeProviderKind.OpenIdConnect:
                // Minimal on purpose: the name and picture come from userinfo.
                claims["email"] = user.Email;
                claims["email_verified"] = user.EmailVerified;
                break;
            default:
                claims["email"] = user.Email;
                claims["email_verified"] = user.Email is null ? null : user.EmailVerified;
                claims["name"] = user.Name;
                claims["picture"] = user.Picture;
                if (Kind == FakeProviderKind.Slack)
                {
                    claims["https://slack.com/team_id"] = "T0R7GR";
                    claims["https://slack.com/user_id"] = user.Subject;
                }

                break;
        }

        var token = _keys.Sign(claims.Where(c => c.Value is not null).ToDictionary(), Tampering);
        _issued.Enqueue(token);
        return token;
    }

    /// <summary>
    /// Apple: the client secret is an ES256 JWT signed with the .p8 key, header kid = key id, iss = team id, sub = the
    /// client id, aud = https://appleid.apple.com, expiring within six months of iat.
    /// </summary>
    private async Task<bool> AppleClientSecretIsValidAsync(string? secret)
    {
        if (secret is null)
        {
            return false;
        }

        var handler = new JsonWebTokenHandler();
        var result = await handler.ValidateTokenAsync(secret, new TokenValidationParameters
        {
            IssuerSigningKey = new ECDsaSecurityKey(_appleKey),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidIssuer = AppleTeamId,
            ValidAudience = "https://appleid.apple.com",
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } exp && exp > Time.GetUtcNow().UtcDateTime,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return false;
        }

        var valid = token.Kid == AppleKeyId
            && token.Subject == ClientId
            && token.TryGetPayloadValue<long>("iat", out var iat)
            && token.TryGetPayloadValue<long>("exp", out var exp)
            && exp - iat <= (long)TimeSpan.FromDays(180).TotalSeconds;
        if (valid)
        {
            VerifiedClientSecrets++;
        }

        return valid;
    }

    private FakeUser? Bearer(HttpContext context) =>
        AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
        && header.Parameter is { } token && _accessTokens.TryGetValue(token, out var user)
            ? user
            : null;
}
