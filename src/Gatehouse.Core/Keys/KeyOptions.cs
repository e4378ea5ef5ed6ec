namespace Gatehouse.Core.Keys;

/// <summary><c>Gatehouse:Keys</c>: the master key and signing-key rotation.</summary>
public sealed class KeyOptions
{
    public const string Section = "Gatehouse:Keys";

    /// <summary>32 bytes, base64. Shared by every instance of one deployment. When empty, <see cref="MasterKeyPath"/> is used.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Where the master key is kept when <see cref="MasterKey"/> is not set; generated on first start.</summary>
    public string MasterKeyPath { get; set; } = "data/master.key";

    /// <summary>How long a signing key signs before the next one takes over.</summary>
    public TimeSpan RotationPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published before it signs, so every verifier's JWKS cache has it first.</summary>
    public TimeSpan PublishAhead { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each instance re-reads the key store (new keys from other instances, retirements).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate()
    {
        if (!string.IsNullOrEmpty(MasterKey))
        {
            byte[]? bytes = null;
            try
            {
                bytes = Convert.FromBase64String(MasterKey);
            }
            catch (FormatException)
            {
            }

            if (bytes is not { Length: 32 })
            {
                yield return $"{Section}:MasterKey must be 32 bytes in base64 (e.g. `openssl rand -base64 32`).";
            }
        }
        else if (string.IsNullOrWhiteSpace(MasterKeyPath))
        {
            yield return $"{Section}:MasterKeyPath must be set when {Section}:MasterKey is not.";
        }

        // The ring adds the rotation period to a key's activation time: past DateTime's range that threw at every refresh.
        if (RotationPeriod < TimeSpan.FromMinutes(1) || RotationPeriod > TimeSpan.FromDays(3650))
        {
            yield return $"{Section}:RotationPeriod must be between 00:01:00 and 3650.00:00:00 (10 years); it is {RotationPeriod}.";
        }

        if (PublishAhead < TimeSpan.Zero || PublishAhead >= RotationPeriod)
        {
            yield return $"{Section}:PublishAhead must be between 00:00:00 and RotationPeriod.";
        }

        // Beyond Task.Delay's range (about 49 days) every wait threw at once, and the maintenance loop logged a warning
        // as fast as it could.
        if (RefreshInterval < TimeSpan.FromSeconds(1) || RefreshInterval > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:RefreshInterval must be between 00:00:01 and 1.00:00:00; it is {RefreshInterval}.";
        }
    }
}
