using System.Security.Cryptography;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>Sessions and rotation requests as SessionService would make them, with random hashes and nonces.</summary>
internal static class TestSessions
{
    public static readonly TimeSpan Idle = TimeSpan.FromDays(14);
    public static readonly TimeSpan Absolute = TimeSpan.FromDays(30);
    public static readonly TimeSpan Leeway = TimeSpan.FromSeconds(30);

    /// <summary>A desktop Chrome user agent cut to SessionService.MaxUserAgentLength (100) characters.</summary>
    public static readonly string UserAgent =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"[..SessionService.MaxUserAgentLength];

    public static byte[] RandomHash() => RandomNumberGenerator.GetBytes(32);

    /// <summary>A session created at <paramref name="now"/> (rounded to milliseconds, as every store keeps times).</summary>
    public static NewRefreshSession New(MemberId member, DateTimeOffset now, TimeSpan? idle = null, TimeSpan? absolute = null, string? userAgent = null)
    {
        now = Ms(now);
        var session = new RefreshSession(SessionId.New(), member, now, now, now + (idle ?? Idle), now + (absolute ?? Absolute), userAgent ?? UserAgent);
        return new NewRefreshSession(session, RandomHash());
    }

    public static RotationRequest Rotate(SessionId id, byte[] presented, DateTimeOffset now, TimeSpan? idle = null) =>
        new(id, presented, RandomHash(), RandomHash(), now, idle ?? Idle, Leeway);

    public static DateTimeOffset Ms(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    /// <summary>Now, to the millisecond: Redis keys expire in real time, so the fake clocks start at the real one.</summary>
    public static DateTimeOffset RealNow() => Ms(DateTimeOffset.UtcNow);
}
