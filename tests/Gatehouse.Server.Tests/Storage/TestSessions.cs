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

    /// <summary>The longest user agent a session keeps (SessionService.MaxUserAgentLength characters).</summary>
    public static readonly string UserAgent =
        "(Windows NT 10.0; Win64; x64; rv:131.0) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 extra"[..SessionService.MaxUserAgentLength];

    public static byte[] RandomHash() => RandomNumberGenerator.GetBytes(16);

    public static Microsoft.Extensions.Options.IOptions<Gatehouse.Server.Storage.DatabaseOptions> DatabaseOptionsFor(StoreKind kind) =>
        Microsoft.Extensions.Options.Options.Create(new Gatehouse.Server.Storage.DatabaseOptions
        {
            Provider = kind == StoreKind.Postgres ? Gatehouse.Server.Storage.DatabaseOptions.Postgres : Gatehouse.Server.Storage.DatabaseOptions.Sqlite,
        });

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
