using Gatehouse.Core.Errors;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Endpoints.Social;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Members;

/// <param name="HasPassword">Whether the member can log in with email and password.</param>
/// <param name="Identities">The linked social providers.</param>
public sealed record MemberResponse(string Id, string? Email, string Nickname, DateTimeOffset CreatedAt, bool HasPassword, IReadOnlyList<IdentityResponse> Identities)
{
    public static MemberResponse From(Member member, IEnumerable<MemberIdentity> identities) =>
        new(member.Id.Value, member.Email, member.Nickname, member.CreatedAt, member.PasswordHash is not null, identities.Select(IdentityResponse.From).ToArray());
}

public sealed record UpdateMemberRequest(string? Nickname);

/// <param name="Password">The member's password, sent again when the last login is older than 10 minutes.</param>
public sealed record WithdrawRequest(string? Password);

/// <summary><c>/members/me</c>: the member's own profile; <c>id</c> equals the access token's <c>sub</c>.</summary>
internal static class MemberEndpoints
{
    public static RouteGroupBuilder MapMemberEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/members").WithTags("Members").RequireCors(GatehouseBuilderExtensions.FrontendCors)
            .RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy);
        group.MapGet("/me", GetAsync).WithSummary("The member's profile.");
        group.MapPatch("/me", UpdateAsync).WithSummary("Change the member's nickname.");
        group.MapDelete("/me", WithdrawAsync)
            .Accepts<WithdrawRequest>(isOptional: true, "application/json")
            .WithSummary("Withdraw: delete the member's personal data now; sessions, providers and webhooks follow (202).")
            .WithDescription("Needs a login within the last 10 minutes (the access token's auth_time) or, for members with a password, {\"password\": \"…\"}; otherwise 403 reauthentication_required. See docs/withdrawal.md.");
        group.MapDelete("/me/identities/{provider}", UnlinkAsync).WithSummary("Unlink a social provider, unless it is the member's last way to log in.");
        return group;
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetAsync(HttpContext context, SocialAccountService social, CancellationToken cancellationToken)
    {
        var profile = await social.FindProfileAsync(context.GetMemberId()!.Value, cancellationToken);
        return profile is null
            ? Problems.From(OAuthErrors.InvalidToken, "The member no longer exists (withdrawn).", context)
            : TypedResults.Ok(MemberResponse.From(profile.Member, profile.Identities));
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> UpdateAsync(
        UpdateMemberRequest request, HttpContext context, AccountService accounts, SocialAccountService social, CancellationToken cancellationToken)
    {
        var id = context.GetMemberId()!.Value;
        var result = await accounts.UpdateNicknameAsync(id, request.Nickname, cancellationToken);
        return result.IsSuccess
            ? TypedResults.Ok(MemberResponse.From(result.Value, await social.ListIdentitiesAsync(id, cancellationToken)))
            : Problems.From(result.Failure, context);
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> WithdrawAsync(HttpContext context, WithdrawalService withdrawals, CancellationToken cancellationToken)
    {
        string? password = null;
        if (context.Request.ContentLength != 0 && (context.Request.ContentLength is not null || context.Request.Headers.TransferEncoding.Count > 0))
        {
            if (!context.Request.HasJsonContentType())
            {
                return Problems.From(GatehouseErrors.UnsupportedMediaType, "Send the password as JSON: {\"password\": \"…\"}.", context);
            }

            try
            {
                password = (await context.Request.ReadFromJsonAsync<WithdrawRequest>(cancellationToken))?.Password;
            }
            catch (System.Text.Json.JsonException)
            {
                return Problems.From(Failure.Validation("password", "The body is not JSON of the form {\"password\": \"…\"}."), context);
            }
        }

        var failure = await withdrawals.WithdrawAsync(context.GetMemberId()!.Value, context.GetAuthTime(), password, context.GetClientInfo(), cancellationToken);
        return failure is null ? TypedResults.Accepted((string?)null) : Problems.From(failure, context);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> UnlinkAsync(string provider, HttpContext context, SocialAccountService social, CancellationToken cancellationToken)
    {
        var failure = await social.UnlinkAsync(context.GetMemberId()!.Value, provider.ToLowerInvariant(), cancellationToken);
        return failure is null ? TypedResults.NoContent() : Problems.From(failure, context);
    }
}
