namespace Gatehouse.Server.Hosting;

/// <summary><c>Gatehouse:RateLimits</c>: request rates per client address for the endpoints that cost a password hash.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gatehouse:RateLimits";

    /// <summary>Sign-ups and password logins per address per second, sustained.</summary>
    public int CredentialRequestsPerSecond { get; set; } = 10;

    /// <summary>How many such requests an address may make in a burst.</summary>
    public int CredentialBurst { get; set; } = 30;

    public IEnumerable<string> Validate()
    {
        if (CredentialRequestsPerSecond < 1 || CredentialBurst < 1)
        {
            yield return $"{Section}:CredentialRequestsPerSecond and {Section}:CredentialBurst must be at least 1.";
        }
    }
}
