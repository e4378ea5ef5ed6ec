using Gatehouse.Core.Keys;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Core.Tests;

/// <summary>
/// The upper bounds of settings that were accepted and then failed at run time: a session lifetime or a rotation period
/// whose end is past DateTime's range, a key refresh past Task.Delay's range, an argon2id memory whose size in bytes is
/// not an int. Each is refused at start with a line naming the key; the bound itself is still accepted.
/// </summary>
public sealed class OptionBoundsTests
{
    private static readonly TimeSpan TenYears = TimeSpan.FromDays(3650);

    [Fact]
    public void A_session_lifetime_is_at_most_ten_years()
    {
        Assert.Empty(new TokenOptions { RefreshAbsoluteLifetime = TenYears, RefreshIdleLifetime = TenYears }.Validate());
        Assert.Contains(
            new TokenOptions { RefreshAbsoluteLifetime = TenYears + TimeSpan.FromDays(1) }.Validate(),
            e => e.StartsWith("Gatehouse:Tokens:RefreshAbsoluteLifetime must be at most 3650.00:00:00", StringComparison.Ordinal));
        Assert.Contains(
            new TokenOptions { RefreshAbsoluteLifetime = TimeSpan.MaxValue, RefreshIdleLifetime = TimeSpan.MaxValue }.Validate(),
            e => e.StartsWith("Gatehouse:Tokens:RefreshAbsoluteLifetime must be at most", StringComparison.Ordinal));
    }

    [Fact]
    public void A_rotation_period_is_at_most_ten_years_and_the_key_refresh_at_most_a_day()
    {
        var master = Convert.ToBase64String(new byte[32]);
        Assert.Empty(new KeyOptions { MasterKey = master, RotationPeriod = TenYears, RefreshInterval = TimeSpan.FromDays(1) }.Validate());
        Assert.Contains(
            new KeyOptions { MasterKey = master, RotationPeriod = TimeSpan.MaxValue }.Validate(),
            e => e.StartsWith("Gatehouse:Keys:RotationPeriod must be between 00:01:00 and 3650.00:00:00", StringComparison.Ordinal));
        Assert.Contains(
            new KeyOptions { MasterKey = master, RefreshInterval = TimeSpan.FromDays(50) }.Validate(),
            e => e.StartsWith("Gatehouse:Keys:RefreshInterval must be between 00:00:01 and 1.00:00:00", StringComparison.Ordinal));
    }

    [Fact]
    public void The_argon2id_memory_fits_libsodium_and_the_passes_are_bounded()
    {
        Assert.Empty(new PasswordOptions { MemoryKiB = PasswordOptions.MaxMemoryKiB, Iterations = PasswordOptions.MaxIterations }.Validate());
        Assert.Contains(
            new PasswordOptions { MemoryKiB = 2 * 1024 * 1024 }.Validate(),
            e => e.StartsWith("Gatehouse:Passwords:MemoryKiB must be between 19456 (OWASP's minimum for argon2id) and 2097151 (2 GiB); it is 2097152.", StringComparison.Ordinal));
        Assert.Contains(
            new PasswordOptions { Iterations = 101 }.Validate(),
            e => e.StartsWith("Gatehouse:Passwords:Iterations must be between 2 and 100; it is 101.", StringComparison.Ordinal));
    }

    /// <summary>The largest memory the bound lets through is one the hasher can be built with; one KiB more is not (4 GiB, which the old check let through, made every login a 500).</summary>
    [Fact]
    public void The_hasher_is_built_at_the_largest_memory_allowed()
    {
        var options = Options.Create(new PasswordOptions { MemoryKiB = PasswordOptions.MaxMemoryKiB });

        _ = new Argon2idPasswordHasher(options, NullLogger<Argon2idPasswordHasher>.Instance);
        Assert.Throws<OverflowException>(() => new Argon2idPasswordHasher(Options.Create(new PasswordOptions { MemoryKiB = PasswordOptions.MaxMemoryKiB + 1 }), NullLogger<Argon2idPasswordHasher>.Instance));
    }
}
