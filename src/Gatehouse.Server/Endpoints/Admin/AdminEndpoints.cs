using Gatehouse.Core.Errors;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Endpoints.Members;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Admin;

public sealed record ForcedLogoutResponse(int SessionsEnded);

public sealed record SigningKeyResponse(string Kid, string Algorithm, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt, DateTimeOffset? ExpiresAt);

/// <summary><c>/admin/*</c>: operator actions, behind <c>Authorization: AdminKey &lt;key&gt;</c>.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin").WithTags("Admin").RequireAuthorization(GatehouseBuilderExtensions.AdminPolicy);
        group.MapGet("/members", FindMemberAsync).WithSummary("Find a member by email.");
        group.MapPost("/members/{id}/logout", ForceLogoutAsync).WithSummary("End every session of a member (forced logout).");
        group.MapGet("/keys", ListKeys).WithSummary("The signing keys and their schedule (public data only).");
        group.MapPost("/keys/rotate", RotateKeyAsync).WithSummary("Start a signing-key rotation now.");
        return group.MapOutboxAdminEndpoints();
    }

    internal static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> FindMemberAsync(
        string? email, HttpContext context, IMemberStore members, Core.Social.IMemberIdentityStore identities, CancellationToken cancellationToken)
    {
        if (!EmailAddress.IsValid(email))
        {
            return Problems.From(Failure.Validation("email", "Give ?email= a valid email address."), context);
        }

        var member = await members.FindByEmailAsync(EmailAddress.Normalize(email!), cancellationToken);
        return member is null
            ? Problems.From(GatehouseErrors.NotFound, "No member has that email.", context)
            : TypedResults.Ok(MemberResponse.From(member, await identities.ListAsync(member.Id, cancellationToken)));
    }

    internal static async Task<Results<Ok<ForcedLogoutResponse>, ProblemHttpResult>> ForceLogoutAsync(string id, HttpContext context, IMemberStore members, SessionService sessions, CancellationToken cancellationToken)
    {
        if (!MemberId.TryParse(id, out var memberId) || await members.FindByIdAsync(memberId, cancellationToken) is null)
        {
            return Problems.From(GatehouseErrors.NotFound, "No such member.", context);
        }

        return TypedResults.Ok(new ForcedLogoutResponse(await sessions.EndAllAsync(memberId, Core.Events.RevocationReasons.Admin, cancellationToken)));
    }

    internal static Ok<SigningKeyResponse[]> ListKeys(SigningKeyRing ring) =>
        TypedResults.Ok(ring.GetRecords().OrderByDescending(k => k.CreatedAt).Select(ToResponse).ToArray());

    internal static async Task<Ok<SigningKeyResponse>> RotateKeyAsync(SigningKeyRing ring, CancellationToken cancellationToken) =>
        TypedResults.Ok(ToResponse(await ring.RotateAsync(cancellationToken)));

    private static SigningKeyResponse ToResponse(SigningKeyRecord k) => new(k.KeyId, k.Algorithm, k.CreatedAt, k.ActivatesAt, k.RetiresAt, k.ExpiresAt);
}
