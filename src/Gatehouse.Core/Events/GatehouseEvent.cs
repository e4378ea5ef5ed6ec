namespace Gatehouse.Core.Events;

/// <summary>
/// Something the product should hear about, delivered to every configured webhook endpoint as
/// <c>{"type", "timestamp", "data"}</c>. <see cref="Id"/> is the Standard Webhooks <c>webhook-id</c>: the same on every
/// retry, so a receiver can drop a delivery it has already processed.
/// </summary>
/// <param name="Data">Small and flat: ids and closed sets of words, never a token, a password or a secret.</param>
public sealed record GatehouseEvent(string Id, string Type, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string?> Data)
{
    public static GatehouseEvent Create(string type, DateTimeOffset timestamp, IReadOnlyDictionary<string, string?> data) =>
        new("msg_" + Base64Id.New(), type, timestamp, data);
}

/// <summary>The event types; a type is part of the contract with receivers and is never renamed.</summary>
public static class EventTypes
{
    public const string MemberCreated = "member.created";
    public const string MemberWithdrawn = "member.withdrawn";
    public const string SessionRevoked = "session.revoked";
    public const string RefreshTokenReused = "security.refresh_token_reused";
}

/// <summary>Why sessions were revoked (<c>data.reason</c> of <c>session.revoked</c>).</summary>
public static class RevocationReasons
{
    public const string Logout = "logout";
    public const string LogoutAll = "logout_all";
    public const string SessionDeleted = "session_deleted";
    public const string Admin = "admin";
    public const string Withdrawal = "withdrawal";
    public const string ProviderUnlinked = "provider_unlinked";
}

/// <summary>The payloads Gatehouse sends, in one place.</summary>
public static class MemberEvents
{
    public static GatehouseEvent Created(string memberId, string provider, DateTimeOffset at) =>
        GatehouseEvent.Create(EventTypes.MemberCreated, at, new Dictionary<string, string?> { ["memberId"] = memberId, ["provider"] = provider });

    /// <param name="reason"><c>requested</c> (the member asked) or <c>provider_deprovisioned</c> (their last provider removed the app).</param>
    public static GatehouseEvent Withdrawn(string memberId, string reason, DateTimeOffset at) =>
        GatehouseEvent.Create(EventTypes.MemberWithdrawn, at, new Dictionary<string, string?> { ["memberId"] = memberId, ["reason"] = reason });

    /// <param name="sessionId">The session that ended, or null when every session of the member did.</param>
    public static GatehouseEvent SessionsRevoked(string memberId, string? sessionId, string reason, DateTimeOffset at) =>
        GatehouseEvent.Create(EventTypes.SessionRevoked, at, new Dictionary<string, string?> { ["memberId"] = memberId, ["sessionId"] = sessionId, ["reason"] = reason });

    public static GatehouseEvent RefreshTokenReused(string? memberId, string sessionId, DateTimeOffset at) =>
        GatehouseEvent.Create(EventTypes.RefreshTokenReused, at, new Dictionary<string, string?> { ["memberId"] = memberId, ["sessionId"] = sessionId });
}

/// <summary>
/// Hands events to the webhook outbox for events that are not part of a database transaction (a logout in Redis, a
/// reuse detection). Events that are (a sign-up, a withdrawal) are written by their store in that transaction.
/// </summary>
public interface IEventPublisher
{
    /// <summary>False when no webhook endpoint is configured: callers skip the work of building an event.</summary>
    bool IsEnabled { get; }

    /// <summary>Writes the event durably; a failure to do so is logged, never thrown: the action it reports has happened.</summary>
    Task PublishAsync(GatehouseEvent gatehouseEvent, CancellationToken cancellationToken);
}
