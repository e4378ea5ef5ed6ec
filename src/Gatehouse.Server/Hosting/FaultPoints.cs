using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// <c>Gatehouse:Testing:HoldAt</c>, for the crash tests only and refused outside the <c>Testing</c> environment: the
/// request that reaches the named point logs it and waits there for good, so a test can kill the process at exactly
/// that moment. Points: <c>withdrawal-before-commit</c> (the withdrawal's transaction is open, nothing committed) and
/// <c>withdrawal-after-commit</c> (committed, nothing dispatched, sessions not yet revoked).
/// </summary>
internal sealed partial class FaultPoints(IOptions<FaultPointOptions> options, ILogger<FaultPoints> logger)
{
    public const string WithdrawalBeforeCommit = "withdrawal-before-commit";
    public const string WithdrawalAfterCommit = "withdrawal-after-commit";

    private readonly string? _holdAt = options.Value.HoldAt;

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

/// <summary><c>Gatehouse:Testing</c>: see <see cref="FaultPoints"/>.</summary>
public sealed class FaultPointOptions
{
    public const string Section = "Gatehouse:Testing";

    public string? HoldAt { get; set; }

    /// <summary>A fault point stops requests for good: only the crash tests (the Testing environment) may set one.</summary>
    public IEnumerable<string> Validate(bool testing)
    {
        if (!string.IsNullOrEmpty(HoldAt) && !testing)
        {
            yield return $"{Section}:HoldAt is for the crash tests only: it is refused outside the Testing environment.";
        }
        else if (!string.IsNullOrEmpty(HoldAt) && HoldAt is not (FaultPoints.WithdrawalBeforeCommit or FaultPoints.WithdrawalAfterCommit))
        {
            yield return $"{Section}:HoldAt must be {FaultPoints.WithdrawalBeforeCommit} or {FaultPoints.WithdrawalAfterCommit}.";
        }
    }
}
