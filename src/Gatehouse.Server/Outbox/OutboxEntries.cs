using System.Globalization;
using System.Text.Json;
using Gatehouse.Core.Events;
using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Webhooks;

namespace Gatehouse.Server.Outbox;

/// <summary>What an outbox step does (<see cref="OutboxEntryRow.Kind"/>).</summary>
internal static class OutboxKinds
{
    /// <summary>POST one event to one webhook endpoint (target: the URL; payload: the body).</summary>
    public const string Webhook = "webhook";

    /// <summary>Revoke every refresh session of a member (target: the member's public id).</summary>
    public const string RevokeSessions = "sessions.revoke";

    /// <summary>Tell a provider that a withdrawn member has left (target: the provider; payload: <see cref="ProviderRevocation"/>).</summary>
    public const string RevokeProvider = "provider.revoke";

    /// <summary>A provider said its user left: unlink, or withdraw (target: the provider; payload: <see cref="ProviderDeprovision"/>).</summary>
    public const string Deprovision = "provider.deprovision";

    /// <summary>Every kind, in the order the admin API's error names them.</summary>
    public static readonly IReadOnlyList<string> All = [Webhook, RevokeSessions, RevokeProvider, Deprovision];

    public static bool IsValid(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}

internal static class OutboxStatus
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Dead = "dead";

    public static bool IsValid(string? status) => status is Pending or Done or Dead;
}

/// <param name="SealedGrant">The identity's sealed grant, copied here because the identity row is deleted with the withdrawal.</param>
/// <param name="GrantDropped">
/// The entry finished (done or dead-lettered) and its sealed grant was deleted then: a later retry by an operator revokes
/// without it where the provider allows (Kakao, by the admin key), and is otherwise recorded as skipped.
/// </param>
internal sealed record ProviderRevocation(string Provider, string Subject, byte[]? SealedGrant, bool GrantDropped = false);

internal sealed record ProviderDeprovision(string Provider, string Subject, string Reason);

/// <summary>Builds outbox rows; every writer (a store's transaction, the event publisher) goes through here.</summary>
internal static class OutboxEntries
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One delivery per configured endpoint, each carrying the exact body every retry sends.</summary>
    public static IEnumerable<OutboxEntryRow> Webhooks(GatehouseEvent gatehouseEvent, WebhookOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(gatehouseEvent);
        var body = JsonSerializer.Serialize(
            new { type = gatehouseEvent.Type, timestamp = gatehouseEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), data = gatehouseEvent.Data },
            Json);
        foreach (var endpoint in options.Endpoints)
        {
            var row = Step(OutboxKinds.Webhook, gatehouseEvent.Id, endpoint.Url!, body, now);
            row.EventType = gatehouseEvent.Type;
            yield return row;
        }
    }

    public static OutboxEntryRow Step<T>(string kind, string eventId, string target, T payload, DateTimeOffset now) =>
        Step(kind, eventId, target, Serialize(payload), now);

    public static string Serialize<T>(T payload) => JsonSerializer.Serialize(payload, Json);

    /// <summary>Revoke every session of <paramref name="memberId"/> (<see cref="Steps.SessionRevocationStep"/>), due at <paramref name="dueAt"/> (default: now).</summary>
    public static OutboxEntryRow RevokeSessions(string eventId, string memberId, DateTimeOffset now, DateTimeOffset? dueAt = null)
    {
        var entry = Step(OutboxKinds.RevokeSessions, eventId, memberId, new { memberId }, now);
        if (dueAt is { } due)
        {
            entry.NextAttemptAt = StoredTime.Normalize(due);
        }

        return entry;
    }

    /// <summary>
    /// The payload an entry keeps once finished, done or dead-lettered: a provider revocation drops its sealed grant (the
    /// provider's tokens), kept for that one attempt and nothing else, rather than keep it for as long as a dead letter
    /// stays; everything else stays as it was.
    /// </summary>
    public static string PayloadWhenFinished(OutboxEntryRow entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind == OutboxKinds.RevokeProvider && Read<ProviderRevocation>(entry) is { SealedGrant: not null } revocation
            ? Serialize(revocation with { SealedGrant = null, GrantDropped = true })
            : entry.Payload;
    }

    public static T? Read<T>(OutboxEntryRow row) => JsonSerializer.Deserialize<T>(row.Payload, Json);

    private static OutboxEntryRow Step(string kind, string eventId, string target, string payload, DateTimeOffset now)
    {
        var at = StoredTime.Normalize(now);
        return new OutboxEntryRow
        {
            EventId = eventId,
            Kind = kind,
            Target = target,
            Payload = payload,
            Status = OutboxStatus.Pending,
            NextAttemptAt = at,
            CreatedAt = at,
        };
    }
}

/// <summary>Wakes this process's dispatcher after a commit wrote entries, so they go out now rather than at the next poll.</summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every entry written so far.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _semaphore.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _semaphore.Dispose();
}
