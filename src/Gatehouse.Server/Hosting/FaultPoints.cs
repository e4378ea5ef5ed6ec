namespace Gatehouse.Server.Hosting;

/// <summary>
/// <c>Gatehouse:Testing:HoldAt</c>, for the crash tests only and refused outside the <c>Testing</c> environment: the
/// request that reaches the named point logs it and waits there for good, so a test can kill the process at exactly
/// that moment. Points: <c>withdrawal-before-commit</c> (the withdrawal's transaction is open, nothing committed) and
/// <c>withdrawal-after-commit</c> (committed, nothing dispatched, sessions not yet revoked).
/// </summary>
internal sealed partial class FaultPoints(IConfiguration configuration, ILogger<FaultPoints> logger)
{
    public const string Key = "Gatehouse:Testing:HoldAt";
    public const string WithdrawalBeforeCommit = "withdrawal-before-commit";
    public const string WithdrawalAfterCommit = "withdrawal-after-commit";

    private readonly string? _holdAt = configuration[Key];

    public async Task ReachedAsync(string point)
    {
        if (!string.Equals(_holdAt, point, StringComparison.Ordinal))
        {
            return;
        }

        LogHolding(logger, point);
        await Task.Delay(Timeout.Infinite);
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Fault point {Point} reached: holding here until the process is killed.")]
    private static partial void LogHolding(ILogger logger, string point);
}
