namespace Gatehouse.Core.Passwords;

/// <summary>Hashes and verifies passwords (argon2id). Work is bounded: at most a configured number of hashes run at once.</summary>
public interface IPasswordHasher
{
    /// <summary>A PHC string such as <c>$argon2id$v=19$m=19456,t=2,p=1$…</c>.</summary>
    /// <exception cref="PasswordHasherBusyException">Too many hashes are waiting; the caller should answer 503 with Retry-After.</exception>
    ValueTask<string> HashAsync(string password, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies <paramref name="password"/> against <paramref name="hash"/>. With a null hash (an unknown account) it
    /// still does the work of one verification and fails, so that unknown accounts take as long as wrong passwords.
    /// </summary>
    /// <exception cref="PasswordHasherBusyException">Too many hashes are waiting.</exception>
    ValueTask<PasswordVerification> VerifyAsync(string? hash, string password, CancellationToken cancellationToken);
}

public enum PasswordVerification
{
    Failed,
    Succeeded,

    /// <summary>Correct, but hashed with weaker parameters than configured now: the caller stores a new hash.</summary>
    SucceededRehashNeeded,
}

/// <summary>The hashing queue is full: shedding load is better than running out of memory.</summary>
public sealed class PasswordHasherBusyException : Exception
{
    public PasswordHasherBusyException()
        : base("Too many password hashes are waiting.")
    {
    }

    public PasswordHasherBusyException(string message)
        : base(message)
    {
    }

    public PasswordHasherBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
