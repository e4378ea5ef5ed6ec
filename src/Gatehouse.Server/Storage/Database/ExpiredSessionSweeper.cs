using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// Deletes refresh sessions past their idle or absolute expiry, and one-time tickets past theirs. Reads already treat
/// them as absent; this only keeps the tables small. (Redis needs no sweeper: every key carries its own expiry.)
/// </summary>
internal sealed partial class ExpiredSessionSweeper(
    IDbContextFactory<GatehouseDbContext> contexts,
    TimeProvider time,
    ILogger<ExpiredSessionSweeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>Rows per DELETE: each statement holds SQLite's single write lock only briefly, so logins do not queue behind a sweep.</summary>
    public const int BatchSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                var deleted = await SweepAsync(stoppingToken);
                if (deleted > 0)
                {
                    LogSwept(logger, deleted);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database that is briefly unreachable must not stop the sweeper for the life of the process.
                LogSweepFailed(logger, e);
            }

            try
            {
                var deleted = await SweepTicketsAsync(stoppingToken);
                if (deleted > 0)
                {
                    LogSweptTickets(logger, deleted);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTicketSweepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes every expired session, in batches; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = StoredTime.Normalize(time.GetUtcNow());
        var total = 0;
        int deleted;
        do
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            deleted = await db.RefreshSessions
                .Where(s => s.IdleExpiresAt <= now || s.AbsoluteExpiresAt <= now)
                .OrderBy(s => s.Id)
                .Take(BatchSize)
                .ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == BatchSize);

        return total;
    }

    /// <summary>Deletes every expired one-time ticket, in batches; returns how many.</summary>
    public async Task<int> SweepTicketsAsync(CancellationToken cancellationToken)
    {
        var now = StoredTime.Normalize(time.GetUtcNow());
        var total = 0;
        int deleted;
        do
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            deleted = await db.OneTimeTickets
                .Where(t => t.ExpiresAt <= now)
                .OrderBy(t => t.Key)
                .Take(BatchSize)
                .ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == BatchSize);

        return total;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Deleted {Count} expired refresh sessions.")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Sweeping expired refresh sessions failed; retrying at the next interval.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Deleted {Count} expired one-time tickets.")]
    private static partial void LogSweptTickets(ILogger logger, int count);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Sweeping expired one-time tickets failed; retrying at the next interval.")]
    private static partial void LogTicketSweepFailed(ILogger logger, Exception exception);
}
