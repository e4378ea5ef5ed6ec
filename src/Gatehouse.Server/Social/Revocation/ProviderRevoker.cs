using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Gatehouse.Server.Social.Providers;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gatehouse.Server.Social.Revocation;

/// <summary>
/// Each provider's way of ending a member's link, as documented: Kakao's unlink with the admin key, Naver's
/// <c>grant_type=delete</c> (after a refresh: its access tokens live an hour), Google's and Apple's revoke, GitHub's
/// grant deletion, Slack's <c>auth.revoke</c>, RFC 7009 for generic providers. One call each, never retried here
/// (the outbox retries <see cref="RevocationStatus.RetryLater"/>), through <see cref="ProviderHttp"/>'s client and
/// deadline. An answer meaning "nothing left to revoke" counts as revoked, so a repeated step is harmless.
/// </summary>
internal sealed partial class ProviderRevoker(ISocialProviderRegistry providers, ProviderHttp http, ProviderGrantSealer sealer, TimeProvider time, ILogger<ProviderRevoker> logger)
    : IProviderRevoker
{
    /// <summary>A Naver access token expiring within this is refreshed before the delete.</summary>
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(1);

    /// <summary>Codes that say "not now" rather than "no": RFC 6749's, Slack's rate limit, Kakao's internal error, quota and maintenance.</summary>
    private static readonly HashSet<string> TransientErrors = new(StringComparer.Ordinal)
    {
        "server_error", "temporarily_unavailable", "ratelimited", "-1", "-10", "-9798",
    };

    private static readonly HashSet<string> InvalidToken = new(StringComparer.Ordinal) { "invalid_token" };

    /// <summary>Apple answers a revoked or unknown token with <c>invalid_grant</c>.</summary>
    private static readonly HashSet<string> AppleGone = new(StringComparer.Ordinal) { "invalid_grant", "invalid_token" };

    /// <summary>Slack: the token is already revoked, expired, or its user deactivated.</summary>
    private static readonly HashSet<string> SlackGone = new(StringComparer.Ordinal) { "invalid_auth", "token_revoked", "token_expired", "account_inactive" };

    public bool NeedsGrant(string provider) => Find(provider)?.Definition is { } definition && definition.Kind switch
    {
        ProviderKinds.Naver or ProviderKinds.Google or ProviderKinds.Apple or ProviderKinds.GitHub or ProviderKinds.Slack or ProviderKinds.OpenIdConnect => true,
        ProviderKinds.OAuth2 => definition.RevocationEndpoint is not null,
        _ => false,
    };

    public async Task<RevocationResult> RevokeAsync(string provider, string subject, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var result = await TryRevokeAsync(provider, subject, sealedGrant, cancellationToken);
        if (result.Status is RevocationStatus.Revoked or RevocationStatus.Skipped)
        {
            LogResult(logger, provider, result.Status, result.Error);
        }
        else
        {
            LogFailure(logger, provider, result.Status, result.Error);
        }

        return result;
    }

    private async Task<RevocationResult> TryRevokeAsync(string provider, string subject, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        if (Find(provider) is not { } found)
        {
            return Skipped($"'{ProviderHttp.Clip(provider)}' is not an enabled provider.");
        }

        var definition = found.Definition;
        if (definition.Kind == ProviderKinds.Kakao)
        {
            return await GuardAsync(() => KakaoUnlinkAsync(found, subject, cancellationToken));
        }

        if (!NeedsGrant(provider))
        {
            return Skipped(definition.Kind == ProviderKinds.Development
                ? "The development provider has nothing to revoke."
                : $"{found.Name}: no RevocationEndpoint is configured.");
        }

        if (sealedGrant is null)
        {
            return Skipped($"{found.Name}: no grant was kept for this identity (linked before grants were kept, or the grant store is not configured).");
        }

        if (sealer.TryUnseal(sealedGrant) is not { } grant)
        {
            return Skipped($"{found.Name}: the kept grant cannot be opened (sealed with another master key, or altered).");
        }

        // Google hands out refresh tokens only for offline access, which the preset does not ask for: once the kept access
        // token has expired, its revoke endpoint answers invalid_token for a grant that is still there. Say so rather than
        // record that as revoked.
        if (definition.Kind == ProviderKinds.Google && grant.RefreshToken is null && grant.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
        {
            return Skipped($"{found.Name}: the kept access token has expired and there is no refresh token, so the grant cannot be revoked from here (the member can remove the app in their Google account).");
        }

        return await GuardAsync(() => definition.Kind switch
        {
            ProviderKinds.Naver => NaverDeleteAsync(found, grant, cancellationToken),
            ProviderKinds.GitHub => GitHubDeleteGrantAsync(found, grant, cancellationToken),
            ProviderKinds.Slack => SlackRevokeAsync(found, grant, cancellationToken),

            // Google needs no client authentication at its revoke endpoint; Apple's client secret is its signed JWT.
            ProviderKinds.Google => RevokeTokenAsync(found, definition.RevocationEndpoint!, grant, authenticate: false, null, InvalidToken, cancellationToken),
            ProviderKinds.Apple => RevokeTokenAsync(found, definition.RevocationEndpoint!, grant, authenticate: true, null, AppleGone, cancellationToken),
            _ => GenericRevokeAsync(found, grant, cancellationToken),
        });
    }

    /// <summary>Kakao: <c>POST /v1/user/unlink</c> with the admin key names the user; no member token needed.</summary>
    private async Task<RevocationResult> KakaoUnlinkAsync(CodeFlowProvider provider, string subject, CancellationToken cancellationToken)
    {
        if (provider.Definition.AdminKey is not { } adminKey)
        {
            return Skipped($"{provider.Name}: no AdminKey is configured, so Kakao cannot be told (the member can remove the app in Kakao).");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, provider.Definition.RevocationEndpoint)
        {
            Content = new FormUrlEncodedContent([new("target_id_type", "user_id"), new("target_id", subject)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("KakaoAK", adminKey);
        var response = await http.SendAsync(provider.Name, "unlink", request, cancellationToken);

        // Kakao's errors are {"msg": …, "code": -n}; -101: the user is not linked to this app (already unlinked).
        var code = ProviderJson.Text(response.Json, "code");
        return Classify(response, code, gone: code == "-101");
    }

    /// <summary>Naver: refresh the access token when it has (nearly) expired, then <c>grant_type=delete</c> with it.</summary>
    private async Task<RevocationResult> NaverDeleteAsync(CodeFlowProvider provider, ProviderGrant grant, CancellationToken cancellationToken)
    {
        var definition = provider.Definition;
        var accessToken = grant.AccessToken;
        if (grant.RefreshToken is { } refreshToken && (grant.ExpiresAt is not { } expiresAt || expiresAt - RefreshMargin <= time.GetUtcNow()))
        {
            var refreshed = await http.SendAsync(provider.Name, "refresh", NaverTokenRequest(definition, definition.TokenEndpoint!, [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)]), cancellationToken);
            var error = refreshed.Json is { } json ? ProviderJson.Error(json) : null;
            if (error is not null || !refreshed.IsSuccess || ProviderJson.Text(refreshed.Json, "access_token") is not { } fresh)
            {
                var result = Classify(refreshed, error ?? "no_access_token", gone: false);

                // A refused refresh token expired or was dropped at Naver; Naver has no way to tell the two apart.
                return result.Status == RevocationStatus.RetryLater ? result : Failed($"{provider.Name}: the kept refresh token was refused ({result.Error}).");
            }

            accessToken = fresh;
        }

        var response = await http.SendAsync(provider.Name, "delete", NaverTokenRequest(definition, definition.RevocationEndpoint!, [
            new("grant_type", "delete"), new("access_token", accessToken), new("service_provider", "NAVER"),
        ]), cancellationToken);

        // Naver answers HTTP 200 either way: {"result": "success"}, or {"error": …}. It documents no code of its own for
        // a token whose grant is already deleted; invalid_token is taken to mean that.
        var deleteError = response.Json is { } answer ? ProviderJson.Error(answer) : null;
        if (deleteError is null && response.IsSuccess && ProviderJson.Text(response.Json, "result") != "success")
        {
            deleteError = "no_result";
        }

        return Classify(response, deleteError, gone: deleteError is not null && InvalidToken.Contains(deleteError));
    }

    private static HttpRequestMessage NaverTokenRequest(ProviderDefinition definition, Uri endpoint, List<KeyValuePair<string, string>> form)
    {
        form.Add(new("client_id", definition.ClientId));
        form.Add(new("client_secret", definition.ClientSecret ?? string.Empty));
        return new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
    }

    /// <summary>GitHub: <c>DELETE /applications/{client_id}/grant</c>, HTTP Basic with the client's id and secret; 204 done, 404 or 422 already gone.</summary>
    private async Task<RevocationResult> GitHubDeleteGrantAsync(CodeFlowProvider provider, ProviderGrant grant, CancellationToken cancellationToken)
    {
        var definition = provider.Definition;
        using var request = new HttpRequestMessage(HttpMethod.Delete, definition.RevocationEndpoint)
        {
            Content = JsonContent.Create(new Dictionary<string, string> { ["access_token"] = grant.AccessToken }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{definition.ClientId}:{definition.ClientSecret}")));
        var response = await http.SendAsync(provider.Name, "grant", request, cancellationToken);
        return Classify(response, null, gone: response.Status is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity);
    }

    /// <summary>Slack: <c>auth.revoke</c> with the token; failures are HTTP 200 <c>{"ok": false, "error": …}</c>.</summary>
    private async Task<RevocationResult> SlackRevokeAsync(CodeFlowProvider provider, ProviderGrant grant, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, provider.Definition.RevocationEndpoint) { Content = new FormUrlEncodedContent([]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant.AccessToken);
        var response = await http.SendAsync(provider.Name, "revoke", request, cancellationToken);
        var error = response.Json is { } json ? ProviderJson.Error(json) : null;
        return Classify(response, error, gone: error is not null && SlackGone.Contains(error));
    }

    /// <summary><c>oidc</c>: the configured endpoint, else the discovery document's <c>revocation_endpoint</c>; <c>oauth2</c>: the configured one.</summary>
    private async Task<RevocationResult> GenericRevokeAsync(CodeFlowProvider provider, ProviderGrant grant, CancellationToken cancellationToken)
    {
        var discovered = await provider.GetDiscoveredAsync(cancellationToken);
        var endpoint = provider.Definition.RevocationEndpoint
            ?? (Uri.TryCreate(discovered?.RevocationEndpoint, UriKind.Absolute, out var uri) ? uri : null);
        return endpoint is null
            ? Skipped($"{provider.Name}: the discovery document names no revocation_endpoint, and none is configured.")
            : await RevokeTokenAsync(provider, endpoint, grant, authenticate: true, discovered, InvalidToken, cancellationToken);
    }

    /// <summary>
    /// RFC 7009 §2.1: the refresh token when there is one (revoking it ends the grant, §2.1 last paragraph), else the
    /// access token, with its hint; the client authenticates as at the token endpoint. §2.2: an unknown token is
    /// answered 200, like a revoked one; some providers say <c>invalid_token</c> instead, which means the same.
    /// </summary>
    private async Task<RevocationResult> RevokeTokenAsync(
        CodeFlowProvider provider, Uri endpoint, ProviderGrant grant, bool authenticate, OpenIdConnectConfiguration? discovered, HashSet<string> gone, CancellationToken cancellationToken)
    {
        var (token, hint) = grant.RefreshToken is { } refresh ? (refresh, "refresh_token") : (grant.AccessToken, "access_token");
        var form = new List<KeyValuePair<string, string>> { new("token", token), new("token_type_hint", hint) };
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        if (authenticate)
        {
            provider.AuthenticateClient(request, form, discovered);
        }

        request.Content = new FormUrlEncodedContent(form);
        var response = await http.SendAsync(provider.Name, "revoke", request, cancellationToken);
        var error = response.Json is { } json ? ProviderJson.Error(json) : null;
        return Classify(response, error, gone: error is not null && gone.Contains(error));
    }

    /// <summary>Timeouts, 408, 429, 5xx and "try later" codes → retry; "already gone" → revoked; any other refusal → failed.</summary>
    private static RevocationResult Classify(ProviderResponse response, string? providerError, bool gone)
    {
        var status = (int)response.Status;
        var error = providerError is null ? null : ProviderHttp.Clip(providerError);
        if (gone)
        {
            return new RevocationResult(RevocationStatus.Revoked, $"Already revoked at the provider (HTTP {status}{(error is null ? null : ", " + error)}).");
        }

        if (status is 408 or 429 or >= 500 || (error is not null && TransientErrors.Contains(error)))
        {
            return new RevocationResult(RevocationStatus.RetryLater, $"HTTP {status}{(error is null ? null : ", " + error)}.");
        }

        return response.IsSuccess && error is null
            ? new RevocationResult(RevocationStatus.Revoked)
            : Failed($"HTTP {status}{(error is null ? null : ", " + error)}.");
    }

    /// <summary>Timeouts, unreachable endpoints and failed discovery come as <see cref="SocialProviderException"/>: all transient.</summary>
    private static async Task<RevocationResult> GuardAsync(Func<Task<RevocationResult>> revoke)
    {
        try
        {
            return await revoke();
        }
        catch (SocialProviderException e)
        {
            return new RevocationResult(RevocationStatus.RetryLater, e.Message);
        }
    }

    private CodeFlowProvider? Find(string provider) =>
        providers.TryGet(provider, out var found) ? found as CodeFlowProvider : null;

    private static RevocationResult Skipped(string reason) => new(RevocationStatus.Skipped, reason);

    private static RevocationResult Failed(string reason) => new(RevocationStatus.Failed, reason);

    [LoggerMessage(EventId = 5410, Level = LogLevel.Information, Message = "Revoking the link with {Provider}: {Status}. {Reason}")]
    private static partial void LogResult(ILogger logger, string provider, RevocationStatus status, string? reason);

    [LoggerMessage(EventId = 5411, Level = LogLevel.Warning, Message = "Revoking the link with {Provider} did not succeed: {Status}. {Reason}")]
    private static partial void LogFailure(ILogger logger, string provider, RevocationStatus status, string? reason);
}
