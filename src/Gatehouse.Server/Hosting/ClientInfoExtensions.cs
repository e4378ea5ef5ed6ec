using Gatehouse.Core.Sessions;
using Gatehouse.Core.Members;

namespace Gatehouse.Server.Hosting;

internal static class ClientInfoExtensions
{
    /// <summary>
    /// The address is the connection's, after ASP.NET Core's forwarded-headers middleware when it is enabled
    /// (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c> behind a trusted proxy). Never a raw X-Forwarded-For.
    /// </summary>
    public static ClientInfo GetClientInfo(this HttpContext context) =>
        new(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());

    public static MemberId? GetMemberId(this HttpContext context) =>
        MemberId.TryParse(context.User.FindFirst("sub")?.Value, out var id) ? id : null;

    /// <summary>The access token's <c>auth_time</c>: when the member logged in (refreshed tokens carry it forward).</summary>
    public static DateTimeOffset? GetAuthTime(this HttpContext context) =>
        long.TryParse(context.User.FindFirst("auth_time")?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds is > 0 and < 253402300800
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public static SessionId? GetSessionId(this HttpContext context) =>
        SessionId.TryParse(context.User.FindFirst("sid")?.Value, out var id) ? id : null;
}
