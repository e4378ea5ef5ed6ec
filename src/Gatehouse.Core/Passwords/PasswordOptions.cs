namespace Gatehouse.Core.Passwords;

/// <summary><c>Gatehouse:Passwords</c>. Defaults are OWASP's argon2id minimum (m=19 MiB, t=2, p=1).</summary>
public sealed class PasswordOptions
{
    public const string Section = "Gatehouse:Passwords";

    public int MinLength { get; set; } = 8;

    /// <summary>Longer passwords are refused with a clear error, never truncated.</summary>
    public int MaxLength { get; set; } = 1024;

    public int MemoryKiB { get; set; } = 19 * 1024;

    /// <summary>The largest <see cref="MemoryKiB"/> whose size in bytes is still an <see cref="int"/>, as libsodium's binding takes it.</summary>
    public const int MaxMemoryKiB = int.MaxValue / 1024;

    public const int MaxIterations = 100;

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

        // libsodium takes the memory in bytes as an int: from 2 GiB up the hasher could not be made, and every sign-up and
        // login was a 500.
        if (MemoryKiB < 19 * 1024 || MemoryKiB > MaxMemoryKiB)
        {
            yield return $"{Section}:MemoryKiB must be between 19456 (OWASP's minimum for argon2id) and {MaxMemoryKiB} (2 GiB); it is {MemoryKiB}.";
        }

        // Each pass costs what the first does (about 15 ms at 19 MiB): 100 passes is a login of seconds already.
        if (Iterations is < 2 or > MaxIterations)
        {
            yield return $"{Section}:Iterations must be between 2 and {MaxIterations}; it is {Iterations}.";
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
