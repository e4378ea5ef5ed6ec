using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Gatehouse.Core.Tokens;

namespace Gatehouse.Core.Keys;

/// <summary>
/// The signing keys every instance of a deployment shares. A new key is published <see cref="KeyOptions.PublishAhead"/>
/// before it signs; the key it replaces stays published until every token it signed has expired (access-token
/// lifetime plus clock skew after it stopped signing). Reads come from an immutable snapshot, so the hot path takes no lock.
/// </summary>
public sealed partial class SigningKeyRing : IDisposable
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    private readonly ISigningKeyStore _store;
    private readonly MasterKey _masterKey;
    private readonly IOptionsMonitor<KeyOptions> _keyOptions;
    private readonly IOptionsMonitor<TokenOptions> _tokenOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<SigningKeyRing> _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile LoadedKey[] _keys = [];

    public SigningKeyRing(ISigningKeyStore store, MasterKey masterKey, IOptionsMonitor<KeyOptions> keyOptions, IOptionsMonitor<TokenOptions> tokenOptions, TimeProvider time, ILogger<SigningKeyRing> logger)
    {
        _store = store;
        _masterKey = masterKey;
        _keyOptions = keyOptions;
        _tokenOptions = tokenOptions;
        _time = time;
        _logger = logger;
    }

    /// <summary>Loads the keys and makes sure one can sign now (on a first start there is nothing in flight, so it activates at once).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        if (FindSigningKey(_keys, _time.GetUtcNow()) is null)
        {
            await EnsureSigningKeyAsync(cancellationToken);
        }
    }

    /// <summary>The key that signs now.</summary>
    /// <exception cref="InvalidOperationException">The ring was never initialized.</exception>
    public SigningCredentials GetSigningCredentials()
    {
        var keys = _keys;
        var key = FindSigningKey(keys, _time.GetUtcNow())
            ?? keys.Where(k => k.Credentials is not null).MaxBy(k => k.Record.ActivatesAt)
            ?? throw new InvalidOperationException("The signing key ring has no key; call InitializeAsync at start-up.");
        return key.Credentials!;
    }

    /// <summary>The keys of the JWKS: pending, signing and retired-but-not-expired ones.</summary>
    public IReadOnlyList<JsonWebKey> GetPublishedKeys()
    {
        var now = _time.GetUtcNow();
        return [.. _keys.Where(k => IsPublished(k.Record, now)).OrderByDescending(k => k.Record.CreatedAt).Select(k => k.Jwk)];
    }

    /// <summary>For token validation: the published key with this <c>kid</c>, or none.</summary>
    public IEnumerable<SecurityKey> ResolveValidationKeys(string? keyId)
    {
        if (keyId is null)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        foreach (var key in _keys)
        {
            if (string.Equals(key.Record.KeyId, keyId, StringComparison.Ordinal) && IsPublished(key.Record, now))
            {
                return [key.PublicKey];
            }
        }

        return [];
    }

    public IReadOnlyList<SigningKeyRecord> GetRecords() => [.. _keys.Select(k => k.Record)];

    /// <summary>The JWKS members as stored: public parameters only, never a private part.</summary>
    public IReadOnlyList<string> GetPublishedJwkJson()
    {
        var now = _time.GetUtcNow();
        return [.. _keys.Where(k => IsPublished(k.Record, now)).OrderByDescending(k => k.Record.CreatedAt).Select(k => k.Record.PublicJwk)];
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var records = await _store.ListAsync(cancellationToken);
        var previous = _keys.ToDictionary(k => k.Record.KeyId, StringComparer.Ordinal);
        var loaded = new List<LoadedKey>(records.Count);
        foreach (var record in records)
        {
            if (previous.TryGetValue(record.KeyId, out var existing))
            {
                loaded.Add(existing with { Record = record });
                continue;
            }

            try
            {
                loaded.Add(Load(record));
            }
            catch (CryptographicException)
            {
                // A key sealed with another master key: instances disagree on Gatehouse:Keys:MasterKey.
                LogUnreadableKey(_logger, record.KeyId);
            }
        }

        _keys = [.. loaded];
    }

    /// <summary>Starts a rotation now: a new key is published and signs after <see cref="KeyOptions.PublishAhead"/>.</summary>
    public async Task<SigningKeyRecord> RotateAsync(CancellationToken cancellationToken) => (await CreateKeyAsync(activateImmediately: false, unlessOneSigns: false, cancellationToken))!;

    /// <summary>Re-reads the store, rotates when the signing key is due, and deletes expired keys. Run periodically.</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var options = _keyOptions.CurrentValue;
        var signing = FindSigningKey(_keys, now);
        var pending = _keys.Any(k => k.Record.ActivatesAt > now && k.Record.RetiresAt is null);
        if (signing is null)
        {
            await EnsureSigningKeyAsync(cancellationToken);
        }
        else if (!pending && signing.Record.ActivatesAt + options.RotationPeriod <= now + options.PublishAhead)
        {
            await CreateKeyAsync(activateImmediately: false, unlessOneSigns: false, cancellationToken);
        }

        if (await _store.DeleteExpiredAsync(now, cancellationToken) > 0)
        {
            await ReloadAsync(cancellationToken);
        }
    }

    /// <summary>
    /// No key this instance can use signs now (a first start): one that signs at once, unless another instance sharing
    /// the store made one first, which this one then signs with too. Instances that start together would otherwise make
    /// a key each, and each would refuse the other's tokens until its next reload. When the key that signs is one this
    /// instance cannot unseal (another master key), it still makes its own.
    /// </summary>
    private async Task EnsureSigningKeyAsync(CancellationToken cancellationToken)
    {
        if (await CreateKeyAsync(activateImmediately: true, unlessOneSigns: true, cancellationToken) is null
            && FindSigningKey(_keys, _time.GetUtcNow()) is null)
        {
            await CreateKeyAsync(activateImmediately: true, unlessOneSigns: false, cancellationToken);
        }
    }

    /// <summary>A new key, which every key still signing hands over to; null when <paramref name="unlessOneSigns"/> and a stored key already signs (the ring is then reloaded).</summary>
    private async Task<SigningKeyRecord?> CreateKeyAsync(bool activateImmediately, bool unlessOneSigns, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var activatesAt = activateImmediately ? now : now + _keyOptions.CurrentValue.PublishAhead;
            var tokens = _tokenOptions.CurrentValue;
            var record = NewRecord(now, activatesAt);
            if (!unlessOneSigns)
            {
                await _store.AddAsync(record, cancellationToken);
            }
            else if (!await _store.AddUnlessOneSignsAsync(record, now, cancellationToken))
            {
                await ReloadAsync(cancellationToken);
                return null;
            }

            // Every key still signing (or waiting to) hands over at the new key's activation, and stays published
            // until the last token it can have signed has expired.
            foreach (var key in _keys.Where(k => k.Record.RetiresAt is null))
            {
                await _store.RetireAsync(key.Record.KeyId, activatesAt, activatesAt + tokens.AccessTokenLifetime + tokens.ClockSkew, cancellationToken);
            }

            LogKeyCreated(_logger, record.KeyId, activatesAt);
            await ReloadAsync(cancellationToken);
            return record;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private SigningKeyRecord NewRecord(DateTimeOffset now, DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = Base64Id.New();
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))) { KeyId = keyId });
        var publicJwk = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = jwk.Kty,
            ["crv"] = jwk.Crv,
            ["x"] = jwk.X,
            ["y"] = jwk.Y,
            ["kid"] = keyId,
            ["use"] = "sig",
            ["alg"] = Algorithm,
        });
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return new SigningKeyRecord(keyId, Algorithm, publicJwk, _masterKey.Seal(privateKey, SealPurpose(keyId)), now, activatesAt, null, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private LoadedKey Load(SigningKeyRecord record)
    {
        var jwk = new JsonWebKey(record.PublicJwk);
        var privateKey = _masterKey.Unseal(record.SealedPrivateKey, SealPurpose(record.KeyId));
        try
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(privateKey, out _);
            var signingKey = new ECDsaSecurityKey(ecdsa) { KeyId = record.KeyId };
            var publicKey = new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))) { KeyId = record.KeyId };
            return new LoadedKey(record, publicKey, new SigningCredentials(signingKey, Algorithm), jwk);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private static LoadedKey? FindSigningKey(LoadedKey[] keys, DateTimeOffset now)
    {
        LoadedKey? best = null;
        foreach (var key in keys)
        {
            var r = key.Record;
            if (r.SignsAt(now) && (best is null || r.ActivatesAt > best.Record.ActivatesAt))
            {
                best = key;
            }
        }

        return best;
    }

    public void Dispose() => _writeLock.Dispose();

    private static bool IsPublished(SigningKeyRecord record, DateTimeOffset now) => record.ExpiresAt is null || record.ExpiresAt > now;

    private static string SealPurpose(string keyId) => "signing-key/" + keyId;

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing key {KeyId} created; it signs from {ActivatesAt:O}.")]
    private static partial void LogKeyCreated(ILogger logger, string keyId, DateTimeOffset activatesAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Signing key {KeyId} cannot be unsealed: this instance's master key differs from the one that created it.")]
    private static partial void LogUnreadableKey(ILogger logger, string keyId);

    private sealed record LoadedKey(SigningKeyRecord Record, ECDsaSecurityKey PublicKey, SigningCredentials? Credentials, JsonWebKey Jwk);
}
