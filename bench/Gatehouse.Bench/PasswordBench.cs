using System.Text;
using Gatehouse.Core.Passwords;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Bench;

/// <summary>
/// The raw argon2id rate at the server's default parameters (m=19456 KiB, t=2, p=1): what a password login costs
/// before anything else it does. Each operation is one <c>VerifyAsync</c> of the right password, the work a
/// successful login does.
/// </summary>
internal static class PasswordBench
{
    private const string Password = "bench-correct-horse-battery";

    /// <summary>
    /// Gatehouse's own hasher. It is internal to Gatehouse.Core and this project is not among its
    /// InternalsVisibleTo friends, so it is constructed by reflection (once; the measured calls go through the
    /// public <see cref="IPasswordHasher"/>). If the type cannot be found, libsodium's argon2id through Geralt
    /// with the same parameters stands in, and the source says so.
    /// </summary>
    public static (IPasswordHasher Hasher, string Source) CreateHasher(PasswordOptions options)
    {
        var type = typeof(IPasswordHasher).Assembly.GetType("Gatehouse.Core.Passwords.Argon2idPasswordHasher");
        if (type is not null && typeof(IPasswordHasher).IsAssignableFrom(type))
        {
            var logger = Activator.CreateInstance(typeof(NullLogger<>).MakeGenericType(type));
            if (Activator.CreateInstance(type, Options.Create(options), logger) is IPasswordHasher hasher)
            {
                return (hasher, "Gatehouse.Core Argon2idPasswordHasher");
            }
        }

        return (new GeraltHasher(options), "Geralt Argon2id (stand-in: Gatehouse's hasher not reachable)");
    }

    public static async Task<Rate> VerifyAsync(IPasswordHasher hasher, int threads, TimeSpan warmup, TimeSpan duration)
    {
        var hash = await hasher.HashAsync(Password, CancellationToken.None);
        return Measure.Run("argon2id", threads, warmup, duration, (_, _) => () =>
        {
            var pending = hasher.VerifyAsync(hash, Password, CancellationToken.None);
            var result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            return result == PasswordVerification.Succeeded
                ? true
                : throw new InvalidOperationException($"The right password did not verify ({result}).");
        });
    }

    private sealed class GeraltHasher(PasswordOptions options) : IPasswordHasher
    {
        public ValueTask<string> HashAsync(string password, CancellationToken cancellationToken)
        {
            var encoded = new char[Geralt.Argon2id.HashSize];
            Geralt.Argon2id.ComputeHash(encoded, Encoding.UTF8.GetBytes(password), options.Iterations, options.MemoryKiB * 1024);
            var end = Array.IndexOf(encoded, '\0');
            return ValueTask.FromResult(new string(encoded, 0, end < 0 ? encoded.Length : end));
        }

        public ValueTask<PasswordVerification> VerifyAsync(string? hash, string password, CancellationToken cancellationToken) =>
            ValueTask.FromResult(hash is not null && Geralt.Argon2id.VerifyHash(hash, Encoding.UTF8.GetBytes(password))
                ? PasswordVerification.Succeeded
                : PasswordVerification.Failed);
    }
}
