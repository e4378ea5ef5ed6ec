namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// A row of <c>outbox_entries</c>: one step of follow-up work, written in the transaction whose commit it follows
/// (a withdrawal, a sign-up) and worked afterwards by the outbox dispatcher of one instance at a time (the lease).
/// </summary>
internal sealed class OutboxEntryRow
{
    public long Id { get; set; }

    /// <summary>The event this step belongs to; for a webhook the <c>webhook-id</c> every retry repeats.</summary>
    public required string EventId { get; set; }

    /// <summary>What the step does: <see cref="Outbox.OutboxKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>The event type of a webhook (<c>member.withdrawn</c>…); null for other steps.</summary>
    public string? EventType { get; set; }

    /// <summary>Whom the step addresses: a webhook URL, a member's public id, a provider.</summary>
    public required string Target { get; set; }

    /// <summary>JSON: for a webhook the exact body, so every retry sends (and signs) the same bytes.</summary>
    public required string Payload { get; set; }

    /// <summary><see cref="Outbox.OutboxStatus"/>: pending, done or dead.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The instance working the entry, until <see cref="LeaseExpiresAt"/>; after it any instance may claim it.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A row of <c>outbox_attempts</c>: one try of an entry, for the admin API.</summary>
internal sealed class OutboxAttemptRow
{
    public long Id { get; set; }

    public long EntryId { get; set; }

    public DateTimeOffset AttemptedAt { get; set; }

    public int DurationMs { get; set; }

    /// <summary>succeeded, retry or failed.</summary>
    public required string Outcome { get; set; }

    /// <summary>The receiver's HTTP status, for webhooks that got an answer.</summary>
    public int? StatusCode { get; set; }

    public string? Error { get; set; }
}
