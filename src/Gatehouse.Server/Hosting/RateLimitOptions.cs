namespace Gatehouse.Server.Hosting;

/// <summary>
/// <c>Gatehouse:RateLimits</c>: request rates per client address for the endpoints that cost a password hash, and for
/// the providers' deprovisioning callbacks (unauthenticated until checked: each costs a key comparison or a JWT check).
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gatehouse:RateLimits";

    /// <summary>Sign-ups and password logins per address per second, sustained.</summary>
    public int CredentialRequestsPerSecond { get; set; } = 10;

    /// <summary>How many such requests an address may make in a burst.</summary>
    public int CredentialBurst { get; set; } = 30;

    /// <summary>
    /// Kakao's unlink callbacks and Apple's notifications per address per second, sustained. A provider sends them from
    /// a few servers, so this is per sender; a mass unlink at Kakao's console is many calls from one.
    /// </summary>
    public int ProviderNotificationRequestsPerSecond { get; set; } = 20;

    /// <summary>How many such calls an address may make in a burst.</summary>
    public int ProviderNotificationBurst { get; set; } = 100;

    public IEnumerable<string> Validate()
    {
        foreach (var (key, value) in new[]
        {
            (nameof(CredentialRequestsPerSecond), CredentialRequestsPerSecond),
            (nameof(CredentialBurst), CredentialBurst),
            (nameof(ProviderNotificationRequestsPerSecond), ProviderNotificationRequestsPerSecond),
            (nameof(ProviderNotificationBurst), ProviderNotificationBurst),
        })
        {
            if (value < 1)
            {
                yield return $"{Section}:{key} must be at least 1 (was {value}).";
            }
        }
    }
}
