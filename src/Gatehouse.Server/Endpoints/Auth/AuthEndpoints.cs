using Gatehouse.Core.Errors;
using Gatehouse.Core.Events;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Social;
using Gatehouse.Server.Endpoints.Social;
using Gatehouse.Server.Social;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Auth;

/// <summary><c>/auth/*</c>: sign-up, the one login path for every provider, refresh, logout and the member's sessions.</summary>
internal static class AuthEndpoints
{
    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth").WithTags("Auth").RequireCors(GatehouseBuilderExtensions.FrontendCors);
        group.MapPost("/signup", SignupAsync).RequireRateLimiting(GatehouseBuilderExtensions.CredentialLimiter)
            .WithSummary("Create a local account and log in.");
        group.MapPost("/login", LoginAsync).RequireRateLimiting(GatehouseBuilderExtensions.CredentialLimiter)
            .WithSummary("Log in: one path for every provider (`password` now; social providers by name).");
        group.MapPost("/token", RefreshAsync)
            .WithSummary("Exchange the refresh token (cookie or body) for a new access token; the refresh token rotates.");
        group.MapPost("/logout", LogoutAsync)
            .WithSummary("End the current session, found by the refresh token or by the access token's sid. Idempotent.");
        group.MapPost("/logout-all", LogoutAllAsync).RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy)
            .WithSummary("End every session of the member.");
        group.MapGet("/sessions", ListSessionsAsync).RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy)
            .WithSummary("The member's active sessions.");
        group.MapDelete("/sessions/{id}", RevokeSessionAsync).RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy)
            .WithSummary("End one of the member's sessions.");
        return group;
    }

    internal static async Task<Results<Created<TokenResponse>, ProblemHttpResult>> SignupAsync(
        SignupRequest request, HttpContext context, AccountService accounts, SocialAccountService social, RefreshTokenTransport transport, CancellationToken cancellationToken)
    {
        if (RefreshTokenTransport.ValidateDelivery(request.RefreshTokenDelivery) is { } invalid)
        {
            return Problems.From(invalid, context);
        }

        // With a signup token, this completes a social sign-up that needed more fields (seed 001's /auth/signup).
        var result = request.SignupToken is not null
            ? await social.CompleteSignupAsync(request.SignupToken, request.Nickname, request.Email, context.GetClientInfo(), cancellationToken)
            : await accounts.SignupAsync(request.Email, request.Password, request.Nickname, context.GetClientInfo(), cancellationToken);
        return result.IsSuccess
            ? TypedResults.Created("/members/me", transport.Respond(context, result.Value, RefreshTokenTransport.WantsBody(request.RefreshTokenDelivery)))
            : Problems.From(result.Failure, context);
    }

    internal static async Task<Results<Ok<TokenResponse>, Created<TokenResponse>, Ok<SignupRequiredResponse>, Ok<LinkedResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, HttpContext context, AccountService accounts, SocialFlow flow, SocialAccountService social, RefreshTokenTransport transport, CancellationToken cancellationToken)
    {
        if (RefreshTokenTransport.ValidateDelivery(request.RefreshTokenDelivery) is { } invalid)
        {
            return Problems.From(invalid, context);
        }

        var provider = request.Provider ?? AccountService.PasswordProvider;
        if (!string.Equals(provider, AccountService.PasswordProvider, StringComparison.Ordinal))
        {
            return await SocialEndpoints.CompleteHandOffAsync(provider, request, context, flow, social, transport, cancellationToken);
        }

        var result = await accounts.LoginWithPasswordAsync(request.Email, request.Password, context.GetClientInfo(), cancellationToken);
        return result.IsSuccess
            ? TypedResults.Ok(transport.Respond(context, result.Value, RefreshTokenTransport.WantsBody(request.RefreshTokenDelivery)))
            : Problems.From(result.Failure, context);
    }

    internal static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RefreshAsync(
        HttpContext context, SessionService sessions, RefreshTokenTransport transport, OriginCheck origins, CancellationToken cancellationToken)
    {
        var (token, fromBody, problem) = await ReadRefreshTokenAsync(context, origins, cancellationToken);
        if (problem is not null)
        {
            return Problems.From(problem, context);
        }

        if (token is null)
        {
            return Problems.From(new Failure(OAuthErrors.InvalidGrant, "No refresh token: send the cookie or {\"refreshToken\": …}."), context);
        }

        var result = await sessions.RefreshAsync(token, cancellationToken);
        if (!result.IsSuccess)
        {
            if (!fromBody)
            {
                transport.Clear(context);
            }

            return Problems.From(result.Failure, context);
        }

        return TypedResults.Ok(transport.Respond(context, result.Value, fromBody));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(
        HttpContext context, SessionService sessions, RefreshTokenTransport transport, OriginCheck origins, CancellationToken cancellationToken)
    {
        var (token, _, problem) = await ReadRefreshTokenAsync(context, origins, cancellationToken);
        if (problem is not null)
        {
            return Problems.From(problem, context);
        }

        if (token is not null)
        {
            await sessions.EndAsync(token, cancellationToken);
        }
        else if (await MemberAuthentication.AuthenticateAsync(context) is { } member && context.GetSessionId() is { } sid)
        {
            await sessions.EndAsync(member, sid, RevocationReasons.Logout, cancellationToken);
        }

        transport.Clear(context);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> LogoutAllAsync(HttpContext context, SessionService sessions, RefreshTokenTransport transport, CancellationToken cancellationToken)
    {
        await sessions.EndAllAsync(context.GetMemberId()!.Value, RevocationReasons.LogoutAll, cancellationToken);
        transport.Clear(context);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<SessionResponse[]>> ListSessionsAsync(HttpContext context, SessionService sessions, CancellationToken cancellationToken)
    {
        var current = context.GetSessionId();
        var list = await sessions.ListAsync(context.GetMemberId()!.Value, cancellationToken);
        return TypedResults.Ok(list.Select(s => new SessionResponse(s.Id.Value, s.CreatedAt, s.LastUsedAt, s.ExpiresAt, s.UserAgent, s.Id == current)).ToArray());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(string id, HttpContext context, SessionService sessions, CancellationToken cancellationToken)
    {
        if (!SessionId.TryParse(id, out var sessionId) || !await sessions.EndAsync(context.GetMemberId()!.Value, sessionId, RevocationReasons.SessionDeleted, cancellationToken))
        {
            return Problems.From(GatehouseErrors.NotFound, "The member has no such session.", context);
        }

        return TypedResults.NoContent();
    }

    /// <summary>The refresh token from the JSON body if there is one, else from the cookie (then the origin must be trusted).</summary>
    private static async Task<(string? Token, bool FromBody, Failure? Problem)> ReadRefreshTokenAsync(HttpContext context, OriginCheck origins, CancellationToken cancellationToken)
    {
        if (context.Request.HasJsonContentType() && context.Request.ContentLength != 0)
        {
            RefreshRequest? body;
            try
            {
                body = await context.Request.ReadFromJsonAsync<RefreshRequest>(cancellationToken);
            }
            catch (System.Text.Json.JsonException)
            {
                return (null, false, Failure.Validation("refreshToken", "The body is not JSON of the form {\"refreshToken\": \"…\"}."));
            }

            if (body?.RefreshToken is { Length: > 0 } fromBody)
            {
                return (fromBody, true, null);
            }
        }

        if (context.Request.Cookies.TryGetValue(RefreshTokenTransport.CookieName, out var cookie) && cookie.Length > 0)
        {
            return origins.Check(context) is { } refused ? (null, false, refused) : (cookie, false, null);
        }

        return (null, false, null);
    }

}
