using Gatehouse.Core.Errors;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Outbox;
using Gatehouse.Server.Storage.Database;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Admin;

/// <param name="Kind">webhook, sessions.revoke, provider.revoke or provider.deprovision.</param>
/// <param name="Target">The webhook URL, the member's public id, or the provider.</param>
/// <param name="Status">pending, done or dead (dead-lettered: retried only by hand).</param>
public sealed record OutboxEntryResponse(
    long Id, string EventId, string Kind, string? EventType, string Target, string Status, int Attempts,
    DateTimeOffset NextAttemptAt, DateTimeOffset? LeaseExpiresAt, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);

/// <param name="Outcome">succeeded, retry or failed.</param>
public sealed record OutboxAttemptResponse(DateTimeOffset AttemptedAt, int DurationMs, string Outcome, int? StatusCode, string? Error);

public sealed record OutboxEntryDetailResponse(OutboxEntryResponse Entry, IReadOnlyList<OutboxAttemptResponse> Attempts);

/// <summary>
/// The outbox seen by an operator: webhook deliveries (<c>/admin/webhooks/deliveries</c>) and every other step
/// (<c>/admin/outbox/entries</c>), with their attempts; a dead letter is retried by hand.
/// </summary>
internal static class OutboxAdminEndpoints
{
    private const int MaxLimit = 200;

    public static RouteGroupBuilder MapOutboxAdminEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/webhooks/deliveries", (string? status, long? before, int? limit, HttpContext context, OutboxStore store, CancellationToken ct) =>
                ListAsync(OutboxKinds.Webhook, status, before, limit, context, store, ct))
            .WithSummary("Webhook deliveries, newest first (?status=pending|done|dead, ?before=<id> to page, ?limit= up to 200).");
        group.MapGet("/webhooks/deliveries/{id:long}", (long id, HttpContext context, OutboxStore store, CancellationToken ct) => FindAsync(id, OutboxKinds.Webhook, context, store, ct))
            .WithSummary("One webhook delivery and its attempts.");
        group.MapPost("/webhooks/deliveries/{id:long}/retry", (long id, HttpContext context, OutboxStore store, OutboxSignal signal, TimeProvider time, CancellationToken ct) =>
                RetryAsync(id, OutboxKinds.Webhook, context, store, signal, time, ct))
            .WithSummary("Deliver again now, with the same webhook-id and a fresh set of attempts (a dead letter, or a redelivery).");
        group.MapGet("/outbox/entries", (string? kind, string? status, long? before, int? limit, HttpContext context, OutboxStore store, CancellationToken ct) =>
                ListAsync(kind, status, before, limit, context, store, ct))
            .WithSummary("Every outbox step (webhooks, session and provider revocations, deprovisioning), newest first (?kind=, ?status=, ?before=, ?limit=).");
        group.MapGet("/outbox/entries/{id:long}", (long id, HttpContext context, OutboxStore store, CancellationToken ct) => FindAsync(id, null, context, store, ct))
            .WithSummary("One outbox step and its attempts.");
        group.MapPost("/outbox/entries/{id:long}/retry", (long id, HttpContext context, OutboxStore store, OutboxSignal signal, TimeProvider time, CancellationToken ct) =>
                RetryAsync(id, null, context, store, signal, time, ct))
            .WithSummary("Run a step again now with a fresh set of attempts.");
        return group;
    }

    internal static async Task<Results<Ok<OutboxEntryResponse[]>, ProblemHttpResult>> ListAsync(
        string? kind, string? status, long? before, int? limit, HttpContext context, OutboxStore store, CancellationToken cancellationToken)
    {
        if (status is not null && !OutboxStatus.IsValid(status))
        {
            return Problems.From(Failure.Validation("status", "status is pending, done or dead."), context);
        }

        // Checked like the status, so that a misspelt kind is not an empty list, and a NUL, which PostgreSQL's text
        // refuses (22021), is not a database failure.
        if (kind is not null && !OutboxKinds.IsValid(kind))
        {
            return Problems.From(Failure.Validation("kind", $"kind is {string.Join(", ", OutboxKinds.All.SkipLast(1))} or {OutboxKinds.All[^1]}."), context);
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.From(Failure.Validation("limit", $"limit is between 1 and {MaxLimit}."), context);
        }

        var rows = await store.ListAsync(kind, status, before, limit ?? 50, cancellationToken);
        return TypedResults.Ok(rows.Select(ToResponse).ToArray());
    }

    internal static async Task<Results<Ok<OutboxEntryDetailResponse>, ProblemHttpResult>> FindAsync(long id, string? kind, HttpContext context, OutboxStore store, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(id, cancellationToken);
        if (found is not { } pair || (kind is not null && pair.Entry.Kind != kind))
        {
            return Problems.From(GatehouseErrors.NotFound, "No such outbox entry.", context);
        }

        return TypedResults.Ok(new OutboxEntryDetailResponse(
            ToResponse(pair.Entry),
            pair.Attempts.Select(a => new OutboxAttemptResponse(a.AttemptedAt, a.DurationMs, a.Outcome, a.StatusCode, a.Error)).ToArray()));
    }

    internal static async Task<Results<Accepted<OutboxEntryResponse>, ProblemHttpResult>> RetryAsync(
        long id, string? kind, HttpContext context, OutboxStore store, OutboxSignal signal, TimeProvider time, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(id, cancellationToken);
        if (found is not { } pair || (kind is not null && pair.Entry.Kind != kind))
        {
            return Problems.From(GatehouseErrors.NotFound, "No such outbox entry.", context);
        }

        if (!await store.RetryAsync(id, time.GetUtcNow(), cancellationToken))
        {
            return Problems.From(GatehouseErrors.Conflict, "An instance is working this entry right now; try again when its attempt ends.", context);
        }

        signal.Notify();
        var retried = await store.FindAsync(id, cancellationToken);
        return TypedResults.Accepted((string?)null, ToResponse(retried!.Value.Entry));
    }

    private static OutboxEntryResponse ToResponse(OutboxEntryRow e) =>
        new(e.Id, e.EventId, e.Kind, e.EventType, e.Target, e.Status, e.Attempts, e.NextAttemptAt, e.LeaseExpiresAt, e.LastError, e.CreatedAt, e.CompletedAt);
}
