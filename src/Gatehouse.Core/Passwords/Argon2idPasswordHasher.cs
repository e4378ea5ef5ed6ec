using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Geralt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Passwords;

/// <summary>
/// argon2id through libsodium (Geralt), p=1. Each hash holds <see cref="PasswordOptions.MemoryKiB"/> for its duration, so
/// at most <see cref="PasswordOptions.MaxConcurrentHashes"/> run at once and at most
/// <see cref="PasswordOptions.MaxQueuedHashes"/> wait; beyond that callers get <see cref="PasswordHasherBusyException"/>
/// at once, so a login storm is shed instead of queueing without bound.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim holds nothing to dispose unless its AvailableWaitHandle is read, and disposing it under in-flight hashes at shutdown would only turn their Release into ObjectDisposedException.")]
internal sealed partial class Argon2idPasswordHasher : IPasswordHasher
{
    // Short passwords are encoded on the stack; longer ones (up to MaxLength, or whatever a login sends) in a pooled array.
    private const int StackPasswordBytes = 256;

    private readonly int _iterations;
    private readonly int _memoryBytes;
    private readonly int _maxQueued;
    private readonly SemaphoreSlim _slots;
    private readonly Lazy<string> _dummyHash;
    private readonly ILogger<Argon2idPasswordHasher> _logger;
    private int _waiting;

    public Argon2idPasswordHasher(IOptions<PasswordOptions> options, ILogger<Argon2idPasswordHasher> logger)
    {
        var value = options.Value;
        _iterations = value.Iterations;

        // libsodium's memlimit is in bytes; the PHC string records it in KiB.
        _memoryBytes = checked(value.MemoryKiB * 1024);
        _maxQueued = value.MaxQueuedHashes;
        var slots = value.MaxConcurrentHashes == 0 ? Environment.ProcessorCount : value.MaxConcurrentHashes;
        _slots = new SemaphoreSlim(slots, slots);
        _dummyHash = new Lazy<string>(CreateDummyHash, LazyThreadSafetyMode.ExecutionAndPublication);
        _logger = logger;
    }

    public async ValueTask<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        await EnterAsync(cancellationToken);
        try
        {
            // Inline rather than Task.Run: the caller is already on a pool thread, and hopping to another one adds latency
            // without freeing anything (the slot, not the thread, is the scarce resource).
            return Hash(password);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async ValueTask<PasswordVerification> VerifyAsync(string? hash, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        await EnterAsync(cancellationToken);
        try
        {
            return Verify(hash, password);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return;
        }

        if (Interlocked.Increment(ref _waiting) > _maxQueued)
        {
            Interlocked.Decrement(ref _waiting);
            throw new PasswordHasherBusyException();
        }

        try
        {
            await _slots.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private string Hash(string password) => WithUtf8(password, this, static (bytes, self) => self.Hash(bytes));

    private string Hash(ReadOnlySpan<byte> password)
    {
        Span<char> encoded = stackalloc char[Argon2id.HashSize];
        Argon2id.ComputeHash(encoded, password, _iterations, _memoryBytes);

        // libsodium writes a NUL-terminated string into a fixed 128-character buffer.
        var end = encoded.IndexOf('\0');
        return new string(end < 0 ? encoded : encoded[..end]);
    }

    private PasswordVerification Verify(string? hash, string password)
    {
        if (hash is null)
        {
            // An unknown account must cost what a wrong password costs, or response times list the accounts that exist.
            _ = VerifyHash(_dummyHash.Value, password);
            return PasswordVerification.Failed;
        }

        bool needsRehash;
        try
        {
            // libsodium parses the PHC string here, so this also rejects malformed hashes before any work is done. It
            // answers "parameters differ from the configured ones", not only "weaker": a lowered setting is rehashed
            // down too, which keeps every login at the cost the operator configured.
            needsRehash = Argon2id.NeedsRehash(hash, _iterations, _memoryBytes);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            LogMalformedHash(_logger);
            return PasswordVerification.Failed;
        }

        if (!VerifyHash(hash, password))
        {
            return PasswordVerification.Failed;
        }

        return needsRehash ? PasswordVerification.SucceededRehashNeeded : PasswordVerification.Succeeded;
    }

    private static bool VerifyHash(string hash, string password) =>
        WithUtf8(password, hash, static (bytes, stored) => Argon2id.VerifyHash(stored, bytes));

    /// <summary>Encodes the password as UTF-8 (all of it: nothing is truncated), runs <paramref name="operation"/>, and wipes the bytes.</summary>
    private static TResult WithUtf8<TState, TResult>(string password, TState state, Utf8Operation<TState, TResult> operation)
    {
        byte[]? rented = null;
        var maxBytes = Encoding.UTF8.GetMaxByteCount(password.Length);
        var buffer = maxBytes <= StackPasswordBytes ? stackalloc byte[StackPasswordBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(password, buffer);
            return operation(buffer[..length], state);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // A random password nobody knows, hashed at the configured parameters so verifying against it costs the same.
    private string CreateDummyHash() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    private delegate TResult Utf8Operation<in TState, out TResult>(ReadOnlySpan<byte> password, TState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stored password hash is not a valid argon2id PHC string; the verification failed.")]
    private static partial void LogMalformedHash(ILogger logger);
}
