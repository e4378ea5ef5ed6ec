using System.Collections.Concurrent;
using System.Security.Cryptography;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Core.Tests.Keys;

public sealed class SigningKeyRingTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly KeyStore _store = new();
    private readonly MasterKey _master = MasterKey.Generate();
    private readonly KeyOptions _keyOptions = new() { RotationPeriod = TimeSpan.FromDays(30), PublishAhead = TimeSpan.FromHours(1) };
    private readonly TokenOptions _tokenOptions = new() { Issuer = "https://gatehouse.test", AccessTokenLifetime = TimeSpan.FromMinutes(15) };
    private readonly SigningKeyRing _ring;

    public SigningKeyRingTests() => _ring = NewRing(_master);

    [Fact]
    public async Task A_first_start_creates_one_key_that_signs_at_once()
    {
        await _ring.InitializeAsync(TestContext.Current.CancellationToken);

        var kid = Assert.Single(_ring.GetPublishedKeys()).Kid;
        Assert.Equal(kid, KidOf(Issue()));
        Assert.Null(Assert.Single(_ring.GetPublishedKeys()).D);
    }

    [Fact]
    public async Task A_rotated_key_is_published_before_it_signs_and_the_old_one_stays_until_its_tokens_expire()
    {
        var ct = TestContext.Current.CancellationToken;
        await _ring.InitializeAsync(ct);
        var oldKid = KidOf(Issue());

        var rotated = await _ring.RotateAsync(ct);

        Assert.Equal(2, _ring.GetPublishedKeys().Count);
        Assert.Equal(oldKid, KidOf(Issue()));

        _time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        var lastOldToken = Issue();
        Assert.Equal(oldKid, KidOf(lastOldToken));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(rotated.KeyId, KidOf(Issue()));
        Assert.True(await ValidatesAsync(lastOldToken));

        // Retired at the switch; published until the last token it signed expired, plus skew.
        _time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(29));
        await _ring.MaintainAsync(ct);
        Assert.Equal(2, _ring.GetPublishedKeys().Count);

        _time.Advance(TimeSpan.FromSeconds(2));
        await _ring.MaintainAsync(ct);
        Assert.Equal(rotated.KeyId, Assert.Single(_ring.GetPublishedKeys()).Kid);
        Assert.False(await ValidatesAsync(lastOldToken));
    }

    [Fact]
    public async Task Maintenance_starts_a_rotation_when_the_period_is_due()
    {
        var ct = TestContext.Current.CancellationToken;
        await _ring.InitializeAsync(ct);

        _time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromHours(1) - TimeSpan.FromMinutes(1));
        await _ring.MaintainAsync(ct);
        Assert.Single(_ring.GetPublishedKeys());

        _time.Advance(TimeSpan.FromMinutes(1));
        await _ring.MaintainAsync(ct);
        Assert.Equal(2, _ring.GetPublishedKeys().Count);

        // Running maintenance again does not pile up keys.
        await _ring.MaintainAsync(ct);
        Assert.Equal(2, _ring.GetPublishedKeys().Count);
    }

    [Fact]
    public async Task Private_keys_are_sealed_at_rest()
    {
        await _ring.InitializeAsync(TestContext.Current.CancellationToken);
        var record = Assert.Single(_store.Keys.Values);

        using var ecdsa = ECDsa.Create();
        Assert.ThrowsAny<CryptographicException>(() => ecdsa.ImportPkcs8PrivateKey(record.SealedPrivateKey, out _));
        Assert.DoesNotContain("\"d\"", record.PublicJwk, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_instance_with_another_master_key_cannot_use_the_stored_keys()
    {
        var ct = TestContext.Current.CancellationToken;
        await _ring.InitializeAsync(ct);
        var token = Issue();

        using var stranger = NewRing(MasterKey.Generate());
        await stranger.InitializeAsync(ct);

        Assert.NotEqual(KidOf(token), KidOf(new AccessTokenIssuer(stranger, Monitor(_tokenOptions), _time).Issue(MemberId.New(), SessionId.New()).Value));
    }

    [Fact]
    public async Task Another_instance_sees_a_new_key_after_it_reloads()
    {
        var ct = TestContext.Current.CancellationToken;
        await _ring.InitializeAsync(ct);
        using var other = NewRing(_master);
        await other.InitializeAsync(ct);
        Assert.Single(other.GetPublishedKeys());

        var rotated = await _ring.RotateAsync(ct);
        await other.ReloadAsync(ct);

        Assert.Contains(other.GetPublishedKeys(), k => k.Kid == rotated.KeyId);
    }

    [Fact]
    public async Task Instances_that_start_together_on_an_empty_store_make_one_key_and_accept_each_others_tokens()
    {
        var ct = TestContext.Current.CancellationToken;
        using var other = NewRing(_master);

        // Both read the empty store before either writes: each finds no key that signs.
        _store.HoldListsUntil(2);
        await Task.WhenAll(_ring.InitializeAsync(ct), other.InitializeAsync(ct));

        var key = Assert.Single(_store.Keys.Values);
        var token = Issue();
        var othersToken = new AccessTokenIssuer(other, Monitor(_tokenOptions), _time).Issue(MemberId.New(), SessionId.New()).Value;
        Assert.Equal(key.KeyId, KidOf(token));
        Assert.Equal(key.KeyId, KidOf(othersToken));
        Assert.True(await ValidatesAsync(othersToken));
    }

    public void Dispose() => _ring.Dispose();

    private SigningKeyRing NewRing(MasterKey master) =>
        new(_store, master, Monitor(_keyOptions), Monitor(_tokenOptions), _time, NullLogger<SigningKeyRing>.Instance);

    private string Issue() => new AccessTokenIssuer(_ring, Monitor(_tokenOptions), _time).Issue(MemberId.New(), SessionId.New()).Value;

    private async Task<bool> ValidatesAsync(string token)
    {
        var parameters = AccessTokenValidation.CreateParameters(_ring, _tokenOptions, _time);
        return (await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters)).IsValid;
    }

    private static string KidOf(string token) => new JsonWebToken(token).Kid;

    private static StaticMonitor<T> Monitor<T>(T value)
        where T : class => new StaticMonitor<T>(value);

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
        where T : class
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    /// <summary>The store's contract, kept in memory: the real stores are tested against the same contract in the server tests.</summary>
    private sealed class KeyStore : ISigningKeyStore
    {
        private readonly Lock _addLock = new();
        private TaskCompletionSource? _listsHeld;
        private int _listsToHold;

        public ConcurrentDictionary<string, SigningKeyRecord> Keys { get; } = new();

        /// <summary>The next <paramref name="count"/> lists answer only when all of them were asked: callers that race.</summary>
        public void HoldListsUntil(int count)
        {
            _listsToHold = count;
            _listsHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken)
        {
            IReadOnlyList<SigningKeyRecord> keys = [.. Keys.Values];
            if (_listsHeld is { } held)
            {
                if (Interlocked.Decrement(ref _listsToHold) == 0)
                {
                    _listsHeld = null;
                    held.SetResult();
                }

                await held.Task.WaitAsync(cancellationToken);
            }

            return keys;
        }

        public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
        {
            Keys[key.KeyId] = key;
            return Task.CompletedTask;
        }

        public Task<bool> AddUnlessOneSignsAsync(SigningKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            lock (_addLock)
            {
                if (Keys.Values.Any(k => k.SignsAt(now)))
                {
                    return Task.FromResult(false);
                }

                Keys[key.KeyId] = key;
                return Task.FromResult(true);
            }
        }

        public Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            Keys[keyId] = Keys[keyId] with { RetiresAt = retiresAt, ExpiresAt = expiresAt };
            return Task.CompletedTask;
        }

        public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            var expired = Keys.Values.Where(k => k.ExpiresAt <= now).ToList();
            foreach (var key in expired)
            {
                Keys.TryRemove(key.KeyId, out _);
            }

            return Task.FromResult(expired.Count);
        }
    }
}
