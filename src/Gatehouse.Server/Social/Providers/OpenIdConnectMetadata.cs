using Gatehouse.Core.Social;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Server.Social.Providers;

/// <summary>
/// One OpenID Connect provider's discovery document and signing keys, cached by <see cref="ConfigurationManager{T}"/>
/// (re-read every 12 hours, or at once when an id token names a key that is not known yet).
/// </summary>
internal sealed class OpenIdConnectMetadata
{
    /// <summary>A provider whose tokens keep naming unknown keys is not asked more often than this.</summary>
    private static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly Func<ConfigurationManager<OpenIdConnectConfiguration>> _create;
    private readonly string _provider;
    private readonly Lock _gate = new();
    private ConfigurationManager<OpenIdConnectConfiguration> _manager;
    private long? _lastRefresh;

    public OpenIdConnectMetadata(ProviderDefinition definition, ProviderHttp http)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var issuer = definition.Issuer ?? throw new ArgumentException("Not an OpenID Connect provider.", nameof(definition));
        _provider = definition.Name;

        // OpenID Connect Discovery 1.0 §4: the document lives at the issuer plus /.well-known/openid-configuration.
        var address = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        _create = () => new ConfigurationManager<OpenIdConnectConfiguration>(address, new Retriever(issuer, definition.JwksUri), new DocumentRetriever(http, definition.Name));
        _manager = _create();
    }

    /// <exception cref="SocialProviderException">The document or the keys could not be had, and none were before.</exception>
    public Task<OpenIdConnectConfiguration> GetAsync(CancellationToken cancellationToken) => GetAsync(_manager, cancellationToken);

    /// <summary>
    /// Fetches the document and keys again now (an id token names a key the cached set lacks: the provider rotated),
    /// at most once per <see cref="MinimumRefreshInterval"/>; the cached ones stay in use if the fetch fails.
    /// </summary>
    /// <remarks>
    /// <see cref="ConfigurationManager{T}.RequestRefresh"/> is not enough: since IdentityModel 8 it refreshes in the
    /// background and the next call still answers the stale keys, so the login that met the new key would fail.
    /// </remarks>
    public async Task<OpenIdConnectConfiguration> RefreshAsync(CancellationToken cancellationToken)
    {
        ConfigurationManager<OpenIdConnectConfiguration>? fresh = null;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_lastRefresh is not { } last || now - last >= (long)MinimumRefreshInterval.TotalMilliseconds)
            {
                _lastRefresh = now;
                fresh = _create();
            }
        }

        if (fresh is null)
        {
            return await GetAsync(cancellationToken);
        }

        var configuration = await GetAsync(fresh, cancellationToken);
        _manager = fresh;
        return configuration;
    }

    private async Task<OpenIdConnectConfiguration> GetAsync(ConfigurationManager<OpenIdConnectConfiguration> manager, CancellationToken cancellationToken)
    {
        try
        {
            // The manager fetches without the caller's token (the fetch is shared); the wait still honours it.
            return await manager.GetConfigurationAsync(cancellationToken).WaitAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            var cause = e.InnerException as SocialProviderException;
            throw new SocialProviderException(SocialErrors.ProviderError, cause?.Message ?? $"{_provider}: the discovery document or its keys could not be read.", cause?.ProviderError, e);
        }
    }

    /// <summary>Fetches the document, checks its issuer, then fetches its keys (or the configured <c>JwksUri</c>'s).</summary>
    private sealed class Retriever(string issuer, Uri? jwksUri) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var document = await retriever.GetDocumentAsync(address, cancel);
            OpenIdConnectConfiguration configuration;
            try
            {
                configuration = OpenIdConnectConfiguration.Create(document);
            }
            catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException)
            {
                throw new SocialProviderException(SocialErrors.ProviderError, $"The discovery document at {address} is not a valid discovery document.", null, e);
            }

            // Discovery §4.3: the document's issuer must be the one it was fetched for, or its keys vouch for someone else.
            if (!string.Equals(configuration.Issuer?.TrimEnd('/'), issuer.TrimEnd('/'), StringComparison.Ordinal))
            {
                throw new SocialProviderException(SocialErrors.ProviderError, $"The discovery document at {address} names the issuer '{configuration.Issuer}', not '{issuer}'.");
            }

            var keysAddress = jwksUri?.AbsoluteUri ?? configuration.JwksUri
                ?? throw new SocialProviderException(SocialErrors.ProviderError, $"The discovery document at {address} has no jwks_uri.");
            try
            {
                configuration.JsonWebKeySet = new JsonWebKeySet(await retriever.GetDocumentAsync(keysAddress, cancel));
            }
            catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException)
            {
                throw new SocialProviderException(SocialErrors.ProviderError, $"The key set at {keysAddress} is not a JWK set.", null, e);
            }

            foreach (var key in configuration.JsonWebKeySet.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            return configuration;
        }
    }

    /// <summary>Discovery and JWKS go through <see cref="ProviderHttp"/>: the same client, timeouts, retries and size cap as every other call.</summary>
    private sealed class DocumentRetriever(ProviderHttp http, string provider) : IDocumentRetriever
    {
        public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
        {
            var uri = new Uri(address, UriKind.Absolute);

            // Discovery and keys must come over TLS, except from this machine (tests, a local provider).
            if (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)
            {
                throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: {address} is not https.");
            }

            var step = address.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal) ? "discovery" : "keys";
            var json = await http.GetJsonAsync(provider, step, uri, accessToken: null, cancel);
            return json.GetRawText();
        }
    }
}
