using System.Diagnostics;
using Gatehouse.Server.Storage.Database;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Outbox;

/// <summary>One kind of outbox step. Safe to run more than once for the same entry (a lease can run out mid-step).</summary>
internal interface IOutboxStep
{
    string Kind { get; }

    Task<StepResult> RunAsync(OutboxEntryRow entry, CancellationToken cancellationToken);
}

/// <summary>
/// Works the outbox after commit: claims due entries under a lease, runs each step as its own unit (up to
/// <see cref="OutboxOptions.MaxConcurrency"/> at once, so a slow step holds up no other), and records the outcome:
/// done, retried after an exponential, capped backoff, or dead-lettered. Nothing here can undo what the transaction
/// that wrote the entry did.
/// </summary>
internal sealed partial class OutboxDispatcher : BackgroundService
{
    private readonly OutboxStore _store;
    private readonly OutboxSignal _signal;
    private readonly IOptionsMonitor<OutboxOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly Core.Diagnostics.GatehouseMetrics _metrics;
    private readonly Dictionary<string, IOutboxStep> _steps;
    private readonly SemaphoreSlim _slots;

    public OutboxDispatcher(OutboxStore store, OutboxSignal signal, IEnumerable<IOutboxStep> steps, IOptionsMonitor<OutboxOptions> options, TimeProvider time, Core.Diagnostics.GatehouseMetrics metrics, ILogger<OutboxDispatcher> logger)
    {
        _metrics = metrics;
        _store = store;
        _signal = signal;
        _options = options;
        _time = time;
        _logger = logger;
        _steps = steps.ToDictionary(s => s.Kind, StringComparer.Ordinal);
        _slots = new SemaphoreSlim(options.CurrentValue.MaxConcurrency);
    }

    /// <summary>Who holds a lease: this process, for as long as it runs.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.CurrentValue.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        var running = new List<Task>();
        var nextSweep = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var options = _options.CurrentValue;
            if (_time.GetUtcNow() >= nextSweep)
            {
                nextSweep = _time.GetUtcNow() + SweepInterval;
                await SweepAsync(options, stoppingToken);
            }

            var claimed = 0;
            try
            {
                claimed = await ClaimAndStartAsync(options, running, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database that is briefly unreachable must not stop the dispatcher for the life of the process.
                LogClaimFailed(_logger, e);
            }

            running.RemoveAll(t => t.IsCompleted);

            // A full claim means there may be more due right away; otherwise wait for a commit or the next poll.
            if (claimed == 0 || _slots.CurrentCount == 0)
            {
                try
                {
                    await _signal.WaitAsync(options.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await Task.WhenAll(running);
    }

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(10);

    private async Task SweepAsync(OutboxOptions options, CancellationToken stoppingToken)
    {
        try
        {
            var deleted = await _store.SweepAsync(_time.GetUtcNow() - options.Retention, stoppingToken);
            if (deleted > 0)
            {
                LogSwept(_logger, deleted);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSweepFailed(_logger, e);
        }
    }

    /// <summary>Claims as many entries as there are free slots and starts each; returns how many.</summary>
    internal async Task<int> ClaimAndStartAsync(OutboxOptions options, List<Task> running, CancellationToken stoppingToken)
    {
        var free = _slots.CurrentCount;
        if (free == 0)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var entries = await _store.ClaimAsync(InstanceId, now, now + options.LeaseDuration, free, stoppingToken);
        foreach (var entry in entries)
        {
            await _slots.WaitAsync(stoppingToken);
            running.Add(RunOneAsync(entry, options, stoppingToken));
        }

        return entries.Count;
    }

    private async Task RunOneAsync(OutboxEntryRow entry, OutboxOptions options, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            var startedAt = _time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var result = await RunStepAsync(entry, options, stoppingToken);
            var attempts = entry.Attempts + 1;
            DateTimeOffset? retryAt = result.Outcome == StepOutcome.Retry && attempts < options.MaxAttempts
                ? _time.GetUtcNow() + options.BackoffAfter(attempts)
                : null;
            if (!await _store.CompleteAsync(entry, InstanceId, result, startedAt, clock.Elapsed, retryAt, CancellationToken.None))
            {
                LogLeaseLost(_logger, entry.Id, entry.Kind);
                return;
            }

            switch (result.Outcome)
            {
                case StepOutcome.Done:
                    _metrics.OutboxStep(entry.Kind, "done");
                    LogDone(_logger, entry.Id, entry.Kind, entry.EventId);
                    break;
                case StepOutcome.Retry when retryAt is { } at:
                    _metrics.OutboxStep(entry.Kind, "retry");
                    LogRetry(_logger, entry.Id, entry.Kind, attempts, at, result.Note);
                    break;
                default:
                    _metrics.OutboxStep(entry.Kind, "dead");
                    LogDead(_logger, entry.Id, entry.Kind, entry.EventId, attempts, result.Note);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Recording the outcome failed (the database went away): the lease runs out and the step runs again.
            LogRecordFailed(_logger, entry.Id, e);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the lease runs out and another instance (or this one, restarted) takes the entry.
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<StepResult> RunStepAsync(OutboxEntryRow entry, OutboxOptions options, CancellationToken stoppingToken)
    {
        if (!_steps.TryGetValue(entry.Kind, out var step))
        {
            return new StepResult(StepOutcome.Failed, $"No step handles the kind '{entry.Kind}'.");
        }

        // A step may take most of the lease, never all of it: the outcome must be recorded while the lease holds.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.LeaseDuration * 0.8);
        try
        {
            return await step.RunAsync(entry, timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return new StepResult(StepOutcome.Retry, "The step took longer than the lease allows.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStepThrew(_logger, entry.Id, entry.Kind, e);
            return new StepResult(StepOutcome.Retry, e.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "The outbox dispatcher is off on this instance (Gatehouse:Outbox:Enabled=false); another instance works the outbox.")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Claiming outbox entries failed; retrying at the next poll.")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Outbox entry {EntryId} ({Kind}) of event {EventId} done.")]
    private static partial void LogDone(ILogger logger, long entryId, string kind, string eventId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Outbox entry {EntryId} ({Kind}) failed attempt {Attempts}; next at {RetryAt:O}: {Reason}")]
    private static partial void LogRetry(ILogger logger, long entryId, string kind, int attempts, DateTimeOffset retryAt, string? reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "Outbox entry {EntryId} ({Kind}) of event {EventId} dead-lettered after {Attempts} attempts: {Reason}. Retry it with the admin API.")]
    private static partial void LogDead(ILogger logger, long entryId, string kind, string eventId, int attempts, string? reason);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Outbox entry {EntryId} ({Kind}): the lease ran out before the outcome was recorded; the next holder decides.")]
    private static partial void LogLeaseLost(ILogger logger, long entryId, string kind);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Recording the outcome of outbox entry {EntryId} failed; it runs again when its lease ends.")]
    private static partial void LogRecordFailed(ILogger logger, long entryId, Exception exception);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Deleted {Count} done outbox entries past their retention.")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Deleting old outbox entries failed; retrying at the next sweep.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Outbox entry {EntryId} ({Kind}) threw.")]
    private static partial void LogStepThrew(ILogger logger, long entryId, string kind, Exception exception);
}
