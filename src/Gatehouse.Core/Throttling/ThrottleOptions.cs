namespace Gatehouse.Core.Throttling;

/// <summary>
/// <c>Gatehouse:Throttling</c>: failed-login limits. Each counter lives for <see cref="Window"/> from its first failure,
/// so every block ends by itself: nobody can lock a member out for good. The pair limit stops guessing from one
/// address quickly; the account limit, higher, stops a distributed attack on one account without letting one
/// address lock the member out everywhere.
/// </summary>
public sealed class ThrottleOptions
{
    public const string Section = "Gatehouse:Throttling";

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    public int MaxFailuresPerAccountAndAddress { get; set; } = 5;

    public int MaxFailuresPerAccount { get; set; } = 20;

    public int MaxFailuresPerAddress { get; set; } = 50;

    public IEnumerable<string> Validate()
    {
        if (Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromHours(24))
        {
            yield return $"{Section}:Window must be between 00:00:01 and 1.00:00:00.";
        }

        if (MaxFailuresPerAccountAndAddress < 1 || MaxFailuresPerAccount < 1 || MaxFailuresPerAddress < 1)
        {
            yield return $"{Section}:MaxFailuresPerAccountAndAddress, MaxFailuresPerAccount and MaxFailuresPerAddress must be at least 1.";
        }
    }
}
