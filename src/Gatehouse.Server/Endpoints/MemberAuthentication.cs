using Gatehouse.Core.Members;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Gatehouse.Server.Endpoints;

/// <summary>For routes open to anonymous callers that act differently for a member (logout, linking): the bearer token is checked here, not by a policy.</summary>
internal static class MemberAuthentication
{
    public static async Task<MemberId?> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded)
        {
            return null;
        }

        context.User = result.Principal;
        return context.GetMemberId();
    }
}
