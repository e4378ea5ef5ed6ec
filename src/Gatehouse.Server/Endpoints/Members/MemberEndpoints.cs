using Gatehouse.Core.Errors;
using Gatehouse.Core.Members;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Members;

public sealed record MemberResponse(string Id, string? Email, string Nickname, DateTimeOffset CreatedAt)
{
    public static MemberResponse From(Member member) => new(member.Id.Value, member.Email, member.Nickname, member.CreatedAt);
}

public sealed record UpdateMemberRequest(string? Nickname);

/// <summary><c>/members/me</c>: the member's own profile; <c>id</c> equals the access token's <c>sub</c>.</summary>
internal static class MemberEndpoints
{
    public static RouteGroupBuilder MapMemberEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/members").WithTags("Members").RequireCors(GatehouseBuilderExtensions.FrontendCors)
            .RequireAuthorization(GatehouseBuilderExtensions.MemberPolicy);
        group.MapGet("/me", GetAsync).WithSummary("The member's profile.");
        group.MapPatch("/me", UpdateAsync).WithSummary("Change the member's nickname.");
        return group;
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetAsync(HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        var member = await accounts.FindAsync(context.GetMemberId()!.Value, cancellationToken);
        return member is null
            ? Problems.From(GatehouseErrors.NotFound, "The member no longer exists.", context)
            : TypedResults.Ok(MemberResponse.From(member));
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> UpdateAsync(UpdateMemberRequest request, HttpContext context, AccountService accounts, CancellationToken cancellationToken)
    {
        var result = await accounts.UpdateNicknameAsync(context.GetMemberId()!.Value, request.Nickname, cancellationToken);
        return result.IsSuccess ? TypedResults.Ok(MemberResponse.From(result.Value)) : Problems.From(result.Failure, context);
    }
}
