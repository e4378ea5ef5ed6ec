using System.Diagnostics;
using Gatehouse.Core.Passwords;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Core.Tests.Passwords;

public sealed class Argon2idPasswordHasherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Argon2idPasswordHasher CreateHasher(Action<PasswordOptions>? configure = null)
    {
        var options = new PasswordOptions();
        configure?.Invoke(options);
        return new Argon2idPasswordHasher(Options.Create(options), NullLogger<Argon2idPasswordHasher>.Instance);
    }

    [Fact]
    public async Task A_hash_verifies_with_its_password()
    {
        var hasher = CreateHasher();

        var hash = await hasher.HashAsync("violet kettle on a rainy pier", Ct);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.Equal(PasswordVerification.Succeeded, await hasher.VerifyAsync(hash, "violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task Two_hashes_of_one_password_differ()
    {
        var hasher = CreateHasher();

        Assert.NotEqual(await hasher.HashAsync("violet kettle on a rainy pier", Ct), await hasher.HashAsync("violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task A_wrong_password_fails()
    {
        var hasher = CreateHasher();
        var hash = await hasher.HashAsync("violet kettle on a rainy pier", Ct);

        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(hash, "violet kettle on a rainy pie", Ct));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(hash, "Violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task A_non_ascii_password_round_trips()
    {
        var hasher = CreateHasher();
        var hash = await hasher.HashAsync("Grüße aus Köln 🚲", Ct);

        Assert.Equal(PasswordVerification.Succeeded, await hasher.VerifyAsync(hash, "Grüße aus Köln 🚲", Ct));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(hash, "Grusse aus Koln 🚲", Ct));
    }

    [Fact]
    public async Task Long_passwords_are_not_truncated()
    {
        var hasher = CreateHasher();
        var passphrase = string.Concat(Enumerable.Repeat("a long passphrase ", 60))[..999] + "x";
        var almost = passphrase[..999] + "y";
        Assert.Equal(1000, passphrase.Length);

        var hash = await hasher.HashAsync(passphrase, Ct);

        Assert.Equal(PasswordVerification.Succeeded, await hasher.VerifyAsync(hash, passphrase, Ct));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(hash, almost, Ct));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(await hasher.HashAsync(almost, Ct), passphrase, Ct));
    }

    [Fact]
    public async Task An_unknown_account_fails()
    {
        var hasher = CreateHasher();

        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(null, "violet kettle on a rainy pier", Ct));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(null, "", Ct));
    }

    [Fact]
    public async Task An_unknown_account_takes_as_long_as_a_wrong_password()
    {
        var hasher = CreateHasher();
        var hash = await hasher.HashAsync("violet kettle on a rainy pier", Ct);

        // The first unknown-account verification also makes the dummy hash; that one-off cost is not what is measured.
        await hasher.VerifyAsync(null, "warm up", Ct);
        await hasher.VerifyAsync(hash, "warm up", Ct);

        // Interleaved, so that load from anything else on the machine falls on both sides alike.
        const int Runs = 9;
        var unknown = new double[Runs];
        var known = new double[Runs];
        for (var i = 0; i < Runs; i++)
        {
            unknown[i] = await TimeAsync(() => hasher.VerifyAsync(null, "guess " + i, Ct));
            known[i] = await TimeAsync(() => hasher.VerifyAsync(hash, "guess " + i, Ct));
        }

        var ratio = Median(unknown) / Median(known);
        Assert.InRange(ratio, 0.5, 2.0);
    }

    [Fact]
    public async Task A_hash_with_other_parameters_than_configured_asks_for_a_rehash()
    {
        var hash = await CreateHasher().HashAsync("violet kettle on a rainy pier", Ct);
        var stronger = CreateHasher(o => o.Iterations = 3);

        Assert.Equal(PasswordVerification.SucceededRehashNeeded, await stronger.VerifyAsync(hash, "violet kettle on a rainy pier", Ct));
        Assert.Equal(PasswordVerification.Failed, await stronger.VerifyAsync(hash, "wrong password", Ct));

        var rehashed = await stronger.HashAsync("violet kettle on a rainy pier", Ct);
        Assert.Contains("$m=19456,t=3,p=1$", rehashed, StringComparison.Ordinal);
        Assert.Equal(PasswordVerification.Succeeded, await stronger.VerifyAsync(rehashed, "violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task More_memory_than_the_stored_hash_used_asks_for_a_rehash()
    {
        var hash = await CreateHasher().HashAsync("violet kettle on a rainy pier", Ct);
        var stronger = CreateHasher(o => o.MemoryKiB = 32 * 1024);

        Assert.Equal(PasswordVerification.SucceededRehashNeeded, await stronger.VerifyAsync(hash, "violet kettle on a rainy pier", Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-hash")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$this is not base64$nor is this at all, really")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$yvs5oLxhpT1jn5MAdUfzqqy1hJrm6WQzh6IqF9i3Ybc")]
    [InlineData("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")]
    public async Task A_malformed_stored_hash_fails(string stored)
    {
        var hasher = CreateHasher();

        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(stored, "violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task A_malformed_stored_hash_is_logged_without_the_hash_or_the_password()
    {
        var logger = new RecordingLogger();
        var hasher = new Argon2idPasswordHasher(Options.Create(new PasswordOptions()), logger);

        await hasher.VerifyAsync("$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$yvs5oLxhpT1jn5MAdUfzqqy1hJrm6WQzh6IqF9i3Ybc", "violet kettle on a rainy pier", Ct);

        var (level, message) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.DoesNotContain("violet", message, StringComparison.Ordinal);
        Assert.DoesNotContain("c29tZXNhbHRzb21lc2FsdA", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_hash_with_non_ascii_characters_fails()
    {
        var hasher = CreateHasher();
        var hash = await hasher.HashAsync("violet kettle on a rainy pier", Ct);

        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync(hash + "é", "violet kettle on a rainy pier", Ct));
    }

    [Fact]
    public async Task Hashes_beyond_the_queue_are_refused_as_busy_and_the_rest_complete()
    {
        // A heavier hash than the default keeps the one slot busy long enough for the burst to pile up behind it.
        var hasher = CreateHasher(o =>
        {
            o.MaxConcurrentHashes = 1;
            o.MaxQueuedHashes = 2;
            o.MemoryKiB = 64 * 1024;
            o.Iterations = 3;
        });
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, 20)
            .Select(i => Task.Run(async () =>
            {
                await start.Task;
                try
                {
                    return await hasher.HashAsync("password number " + i, Ct);
                }
                catch (PasswordHasherBusyException)
                {
                    return null;
                }
            }, Ct))
            .ToArray();

        start.SetResult();
        var results = await Task.WhenAll(burst);

        var completed = results.OfType<string>().ToArray();
        Assert.NotEmpty(completed);
        Assert.Contains(results, r => r is null);
        Assert.All(completed, hash => Assert.StartsWith("$argon2id$v=19$m=65536,t=3,p=1$", hash, StringComparison.Ordinal));

        // Refused and finished callers both left the queue: the hasher serves normally afterwards.
        var after = await hasher.HashAsync("after the storm", Ct);
        Assert.Equal(PasswordVerification.Succeeded, await hasher.VerifyAsync(after, "after the storm", Ct));
    }

    private sealed class RecordingLogger : ILogger<Argon2idPasswordHasher>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    private static async Task<double> TimeAsync(Func<ValueTask<PasswordVerification>> verify)
    {
        var started = Stopwatch.GetTimestamp();
        await verify();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
