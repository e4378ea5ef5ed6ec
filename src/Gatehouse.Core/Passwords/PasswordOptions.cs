namespace Gatehouse.Core.Passwords;

/// <summary><c>Gatehouse:Passwords</c>. Defaults are OWASP's argon2id minimum (m=19 MiB, t=2, p=1).</summary>
public sealed class PasswordOptions
{
    public const string Section = "Gatehouse:Passwords";

    public int MinLength { get; set; } = 8;

    /// <summary>Longer passwords are refused with a clear error, never truncated.</summary>
    public int MaxLength { get; set; } = 1024;

    public int MemoryKiB { get; set; } = 19 * 1024;

    public int Iterations { get; set; } = 2;

    /// <summary>Hashes that may run at once (each holds <see cref="MemoryKiB"/>); 0 means the number of cores.</summary>
    public int MaxConcurrentHashes { get; set; }

    /// <summary>Hashes that may wait for a slot before new ones are refused as busy.</summary>
    public int MaxQueuedHashes { get; set; } = 256;

    /// <summary>Refuse passwords found in the built-in list of the most common ones.</summary>
    public bool RejectCommonPasswords { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        if (MinLength < 8)
        {
            yield return $"{Section}:MinLength must be at least 8.";
        }

        if (MaxLength < MinLength || MaxLength > 4096)
        {
            yield return $"{Section}:MaxLength must be between MinLength and 4096.";
        }

        if (MemoryKiB < 19 * 1024)
        {
            yield return $"{Section}:MemoryKiB must be at least 19456 (OWASP's minimum for argon2id).";
        }

        if (Iterations < 2)
        {
            yield return $"{Section}:Iterations must be at least 2.";
        }

        if (MaxConcurrentHashes < 0)
        {
            yield return $"{Section}:MaxConcurrentHashes must be 0 (the number of cores) or more.";
        }

        if (MaxQueuedHashes < 1)
        {
            yield return $"{Section}:MaxQueuedHashes must be at least 1.";
        }
    }
}
