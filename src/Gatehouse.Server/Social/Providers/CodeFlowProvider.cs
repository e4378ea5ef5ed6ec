using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gatehouse.Server.Social.Providers;

/// <summary>
/// The authorization code flow (RFC 6749 §4.1) with PKCE (RFC 7636), and OpenID Connect's id token where the provider
/// has one, for every provider: what differs between providers is data in <see cref="ProviderDefinition"/> and its
/// <see cref="ProfileReader"/>.
/// </summary>
internal sealed partial class CodeFlowProvider : ISocialProvider, IDisposable
{
    private readonly ProviderDefinition _definition;
    private readonly ProviderHttp _http;
    private readonly OpenIdConnectMetadata? _metadata;
    private readonly IdTokenValidator? _idTokens;
    private readonly AppleClientSecret? _appleSecret;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CodeFlowProvider(ProviderDefinition definition, ProviderHttp http, TimeProvider time, ILogger<CodeFlowProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        _http = http;
        _time = time;
        _logger = logger;
        if (definition.IsOpenIdConnect)
        {
            _metadata = new OpenIdConnectMetadata(definition, http);
            _idTokens = new IdTokenValidator(_metadata, definition.ClientId, definition.Name, time);
        }

        if (definition.AppleKey is { } appleKey)
        {
            _appleSecret = new AppleClientSecret(appleKey, definition.ClientId, time);
        }
    }

    public string Name => _definition.Name;

    public string DisplayName => _definition.DisplayName;

    public bool UsesFormPost => _definition.UsesFormPost;

    internal ProviderDefinition Definition => _definition;

    public async ValueTask<string?> GetIssuerAsync(CancellationToken cancellationToken) =>
        _metadata is null ? null : (await GuardAsync("discovery", () => _metadata.GetAsync(cancellationToken), cancellationToken)).Issuer;

    public async ValueTask<Uri> BuildAuthorizationUrlAsync(AuthorizationParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var discovered = _metadata is null ? null : await GuardAsync("discovery", () => _metadata.GetAsync(cancellationToken), cancellationToken);
        var endpoint = _definition.AuthorizationEndpoint ?? Discovered(discovered?.AuthorizationEndpoint, "authorization_endpoint");

        // RFC 6749 §4.1.1, RFC 7636 §4.3; OpenID Connect Core §3.1.2.1 adds the nonce.
        var query = new List<KeyValuePair<string, string?>>
        {
            new("response_type", "code"),
            new("client_id", _definition.ClientId),
            new("redirect_uri", parameters.RedirectUri),
            new("state", parameters.State),
            new("code_challenge", parameters.CodeChallenge),
            new("code_challenge_method", "S256"),
        };
        if (_definition.Scopes.Count > 0)
        {
            query.Add(new("scope", string.Join(' ', _definition.Scopes)));
        }

        if (_definition.IsOpenIdConnect)
        {
            query.Add(new("nonce", parameters.Nonce));
        }

        query.AddRange(_definition.AuthorizationParameters.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
        return new Uri(QueryHelpers.AddQueryString(endpoint.AbsoluteUri, query));
    }

    public Task<ProviderRedemption> RedeemAsync(CodeRedemption redemption, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redemption);
        return GuardAsync("redeem", async () =>
        {
            var discovered = _metadata is null ? null : await _metadata.GetAsync(cancellationToken);
            var (grant, idToken) = await ExchangeAsync(redemption, discovered, cancellationToken);
            var claims = _idTokens is null ? (JsonElement?)null : await _idTokens.ValidateAsync(idToken, redemption.Nonce, cancellationToken);
            var userInfo = _definition.UserInfoEndpoint ?? (discovered?.UserInfoEndpoint is { Length: > 0 } u ? new Uri(u) : null);
            var context = new ProfileContext(_definition, _http, grant.AccessToken, claims, userInfo, redemption.FormUser);
            return new ProviderRedemption(await _definition.ReadProfile(context, cancellationToken), grant);
        }, cancellationToken);
    }

    /// <summary>The discovery document of an OpenID Connect provider (null for the others), for the revoker.</summary>
    /// <exception cref="SocialProviderException">Discovery failed.</exception>
    internal async Task<OpenIdConnectConfiguration?> GetDiscoveredAsync(CancellationToken cancellationToken) =>
        _metadata is null ? null : await _metadata.GetAsync(cancellationToken);

    /// <summary>
    /// A JWT the provider signed for this client that is not an id token of a login (Apple's server-to-server
    /// notifications): signature against the provider's keys, issuer, audience (the client id, or the configured
    /// <c>AppId</c>: Apple addresses notifications to the primary App ID) and expiry, no nonce.
    /// </summary>
    /// <exception cref="SocialProviderException"><see cref="SocialErrors.InvalidIdToken"/>, or <see cref="SocialErrors.ProviderError"/> when the keys cannot be had.</exception>
    internal Task<JsonElement> ValidateSignedAsync(string jwt, CancellationToken cancellationToken) =>
        (_idTokens ?? throw new SocialProviderException(SocialErrors.ProviderError, $"{Name} is not an OpenID Connect provider.")).ValidateAsync(jwt, nonce: null, cancellationToken, _definition.AppId);

    /// <summary>Apple's client secret (a fresh ES256 JWT), else the configured one.</summary>
    internal string? ClientSecret => _appleSecret?.Get() ?? _definition.ClientSecret;

    /// <summary>Authenticates a request to the token endpoint, or to an endpoint that authenticates clients the same way (RFC 7009 §2.1).</summary>
    internal void AuthenticateClient(HttpRequestMessage request, List<KeyValuePair<string, string>> form, OpenIdConnectConfiguration? discovered)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(form);
        var secret = ClientSecret;
        switch (ClientAuthenticationFor(discovered))
        {
            case ClientAuthentication.Basic:
                // §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
                var credentials = $"{WebUtility.UrlEncode(_definition.ClientId)}:{WebUtility.UrlEncode(secret)}";
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
                break;
            case ClientAuthentication.Post:
                form.Add(new("client_id", _definition.ClientId));
                form.Add(new("client_secret", secret ?? string.Empty));
                break;
            default:
                form.Add(new("client_id", _definition.ClientId));
                break;
        }
    }

    /// <summary>The tokens of a token response (RFC 6749 §5.1); <c>expires_in</c> as a number or, as Naver sends it, a string.</summary>
    internal ProviderGrant ReadGrant(JsonElement tokens)
    {
        var accessToken = ProviderJson.Text(tokens, "access_token")
            ?? throw new SocialProviderException(SocialErrors.ProviderError, $"{Name}: the token response has no access_token.");
        var expiresIn = long.TryParse(ProviderJson.Text(tokens, "expires_in"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 10L * 365 * 24 * 3600
            ? _time.GetUtcNow().AddSeconds(seconds)
            : (DateTimeOffset?)null;
        return new ProviderGrant(accessToken, ProviderJson.Text(tokens, "refresh_token"), expiresIn);
    }

    /// <summary>RFC 6749 §4.1.3 and §5: one POST, never retried (a code is single use, so a retry could only fail).</summary>
    private async Task<(ProviderGrant Grant, string? IdToken)> ExchangeAsync(CodeRedemption redemption, OpenIdConnectConfiguration? discovered, CancellationToken cancellationToken)
    {
        var endpoint = _definition.TokenEndpoint ?? Discovered(discovered?.TokenEndpoint, "token_endpoint");
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", redemption.Code),
            new("redirect_uri", redemption.RedirectUri),
            new("code_verifier", redemption.CodeVerifier),
        };
        if (_definition.SendsStateToTokenEndpoint && redemption.State is { } state)
        {
            form.Add(new("state", state));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        AuthenticateClient(request, form, discovered);
        request.Content = new FormUrlEncodedContent(form);
        var response = await _http.SendAsync(Name, "token", request, cancellationToken);
        if (response.Json is { } json && ProviderJson.Error(json) is { } error)
        {
            // GitHub, Naver and Slack answer errors with HTTP 200; each has its own code for a bad or used code.
            var refused = error == OAuthErrors.InvalidGrant || _definition.InvalidGrantErrors.Contains(error);
            throw new SocialProviderException(
                refused ? OAuthErrors.InvalidGrant : SocialErrors.ProviderError,
                refused ? $"{Name}: the provider refused the code (it is wrong, used, expired or another client's)." : $"{Name}: the token endpoint answered HTTP {(int)response.Status} with error '{ProviderHttp.Clip(error)}'.",
                ProviderHttp.Clip(error));
        }

        var tokens = ProviderHttp.RequireJson(Name, "token", response);
        return (ReadGrant(tokens), ProviderJson.Text(tokens, "id_token"));
    }

    private ClientAuthentication ClientAuthenticationFor(OpenIdConnectConfiguration? discovered)
    {
        if (_definition.ClientAuthentication is { } configured)
        {
            return configured;
        }

        // Discovery §3: an absent list means client_secret_basic; basic is preferred wherever it is offered.
        var supported = discovered?.TokenEndpointAuthMethodsSupported;
        return supported is null || supported.Count == 0 || supported.Contains(ClientAuthenticationMethods.Basic)
            ? ClientAuthentication.Basic
            : supported.Contains(ClientAuthenticationMethods.Post) ? ClientAuthentication.Post : ClientAuthentication.Basic;
    }

    private Uri Discovered(string? value, string field) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? uri
            : throw new SocialProviderException(SocialErrors.ProviderError, $"{Name}: the discovery document has no {field}.");

    /// <summary>
    /// Everything that fails becomes a <see cref="SocialProviderException"/> (logged without tokens, codes or
    /// secrets); only the caller's cancellation passes through as it is.
    /// </summary>
    private async Task<T> GuardAsync<T>(string step, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (SocialProviderException e)
        {
            LogFailure(_logger, Name, step, e.Error, e.ProviderError, e.Message, e.InnerException?.GetType().Name);
            throw;
        }
        catch (Exception e)
        {
            LogUnexpected(_logger, Name, step, e);
            throw new SocialProviderException(SocialErrors.ProviderError, $"{Name}: the provider's answer could not be handled.", null, e);
        }
    }

    public void Dispose() => _appleSecret?.Dispose();

    [LoggerMessage(EventId = 5401, Level = LogLevel.Warning, Message = "Social login with {Provider} failed at {Step}: {Error} (provider error {ProviderError}): {Reason} {Cause}")]
    private static partial void LogFailure(ILogger logger, string provider, string step, string error, string? providerError, string reason, string? cause);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Error, Message = "Social login with {Provider} failed at {Step} unexpectedly.")]
    private static partial void LogUnexpected(ILogger logger, string provider, string step, Exception exception);
}
