using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gatehouse.AspNetCore.Discovery;

/// <summary>Fetches and keeps the issuer's discovery document and signing keys.</summary>
/// <remarks>
/// This takes the place of <c>ConfigurationManager&lt;OpenIdConnectConfiguration&gt;</c> but keeps its parsing
/// (<see cref="OpenIdConnectConfigurationRetriever"/>, <see cref="HttpDocumentRetriever"/>). In IdentityModel 8
/// that class refreshes in the background after <c>RequestRefresh</c>, so the token that revealed a new key id
/// is refused even though the fetch it caused finds the key; it reads a clock tests cannot replace; and while
/// it has never obtained a configuration it fetches again on every request. Here one fetch runs at a time and
/// every caller shares it; a fetch for an unknown key id happens at most once per
/// <see cref="GatehouseAuthenticationOptions.MinimumUnknownKidRefreshInterval"/> since the last fetch of any
/// kind, and is awaited so the token that needed it can pass; a failed fetch is retried after a growing delay.
/// </remarks>
internal sealed class IssuerMetadataCache : IDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    private readonly GatehouseAuthenticationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _backchannel;
    private readonly HttpDocumentRetriever _retriever;
    private readonly Lock _gate = new();

    private IssuerMetadata? _current;

    // Read without the lock on every validation: the UTC ticks from which a scheduled fetch is due.
    // long.MaxValue while a fetch runs, so only the fetch itself moves it.
    private long _nextScheduledFetchTicks;
    private long _fetchCount;

    // Guarded by _gate.
    private Task<IssuerMetadata?>? _fetch;
    private DateTimeOffset _lastFetchStarted = DateTimeOffset.MinValue;
    private TimeSpan _retryDelay;

    public IssuerMetadataCache(IOptions<GatehouseAuthenticationOptions> options, TimeProvider time, ILogger<IssuerMetadataCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
        MetadataAddress = _options.MetadataAddress;
        var handler = _options.BackchannelHttpHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        _backchannel = new HttpClient(handler, disposeHandler: _options.BackchannelHttpHandler is null)
        {
            Timeout = _options.BackchannelTimeout,
            MaxResponseContentBufferSize = 1024 * 1024,
        };
        _backchannel.DefaultRequestHeaders.UserAgent.ParseAdd("Gatehouse.AspNetCore");
        _retriever = new HttpDocumentRetriever(_backchannel) { RequireHttps = _options.RequireHttpsMetadata };
    }

    private enum FetchReason
    {
        Due,
        UnknownKey,
    }

    public string MetadataAddress { get; }

    /// <summary>How many fetches have started.</summary>
    internal long FetchCount => Interlocked.Read(ref _fetchCount);

    /// <summary>The fetch under way, if any, so tests can await it instead of sleeping.</summary>
    internal Task PendingFetch
    {
        get
        {
            lock (_gate)
            {
                return _fetch ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>The keys we hold, without waiting; starts a background fetch when one is due.</summary>
    public IssuerMetadata? Current
    {
        get
        {
            if (_time.GetUtcNow().UtcTicks >= Volatile.Read(ref _nextScheduledFetchTicks))
            {
                _ = StartFetch(FetchReason.Due);
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>The keys we hold, or, before the first successful fetch, the result of the fetch under way.</summary>
    public async ValueTask<IssuerMetadata?> GetAsync(CancellationToken cancellationToken)
    {
        if (Current is { } current)
        {
            return current;
        }

        // Null while waiting out the delay after a failed fetch: the caller refuses the token without a request.
        var fetch = StartFetch(FetchReason.Due);
        return fetch is null ? Volatile.Read(ref _current) : await fetch.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A token names a key id that <paramref name="seen"/> does not have. Returns newer keys when there are
    /// some or a fetch is allowed; otherwise <paramref name="seen"/> again.
    /// </summary>
    public async ValueTask<IssuerMetadata> RefreshForUnknownKeyAsync(IssuerMetadata seen, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current) ?? seen;
        if (!ReferenceEquals(current, seen))
        {
            return current;
        }

        var fetch = StartFetch(FetchReason.UnknownKey);
        return fetch is null ? current : await fetch.WaitAsync(cancellationToken) ?? current;
    }

    public void Dispose() => _backchannel.Dispose();

    private Task<IssuerMetadata?>? StartFetch(FetchReason reason)
    {
        bool rateLimited;
        lock (_gate)
        {
            if (_fetch is { IsCompleted: false } running)
            {
                return running;
            }

            var now = _time.GetUtcNow();
            rateLimited = reason == FetchReason.UnknownKey && now - _lastFetchStarted < _options.MinimumUnknownKidRefreshInterval;
            if (!rateLimited)
            {
                if (reason == FetchReason.Due && now.UtcTicks < Volatile.Read(ref _nextScheduledFetchTicks))
                {
                    return null;
                }

                if (reason == FetchReason.UnknownKey)
                {
                    _logger.UnknownKeyRefreshStarted();
                }

                _lastFetchStarted = now;
                Volatile.Write(ref _nextScheduledFetchTicks, long.MaxValue);
                Interlocked.Increment(ref _fetchCount);

                // Off the caller's stack: a request must not run the fetch while holding the lock.
                _fetch = Task.Run(FetchAsync);
                return _fetch;
            }
        }

        _logger.UnknownKeyRefreshRateLimited(_options.MinimumUnknownKidRefreshInterval);
        return null;
    }

    private async Task<IssuerMetadata?> FetchAsync()
    {
        IssuerMetadata? fetched = null;
        Exception? failure = null;
        try
        {
            // The shared fetch ignores callers' cancellation; BackchannelTimeout bounds it.
            var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(MetadataAddress, _retriever, CancellationToken.None);
            if (IsAuthority(configuration.Issuer))
            {
                fetched = IssuerMetadata.Create(configuration, Volatile.Read(ref _current), _time.GetUtcNow());
            }
            else
            {
                _logger.IssuerMismatch(MetadataAddress, configuration.Issuer ?? "(none)", _options.Authority);
            }
        }
        catch (Exception ex)
        {
            // Whatever broke (network, status, JSON, keys), the keys we had stay in use and we retry later.
            failure = ex;
        }

        TimeSpan retryIn;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (fetched is not null)
            {
                Volatile.Write(ref _current, fetched);
                _retryDelay = TimeSpan.Zero;
                retryIn = _options.JwksRefreshInterval;
            }
            else
            {
                _retryDelay = _retryDelay == TimeSpan.Zero ? FirstRetryDelay : _retryDelay * 2;
                if (_retryDelay > _options.MinimumUnknownKidRefreshInterval)
                {
                    _retryDelay = _options.MinimumUnknownKidRefreshInterval;
                }

                retryIn = _retryDelay;
            }

            Volatile.Write(ref _nextScheduledFetchTicks, (now + retryIn).UtcTicks);
        }

        if (fetched is not null)
        {
            _logger.SigningKeysFetched(MetadataAddress, fetched.Issuer, fetched.SigningKeys.Count, fetched.Generation);
        }
        else if (failure is not null)
        {
            _logger.SigningKeysFetchFailed(MetadataAddress, retryIn, failure);
        }

        return fetched ?? Volatile.Read(ref _current);
    }

    // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must be the URL it was fetched under.
    private bool IsAuthority(string? issuer) =>
        issuer is not null && string.Equals(issuer.TrimEnd('/'), _options.Authority.TrimEnd('/'), StringComparison.Ordinal);
}
