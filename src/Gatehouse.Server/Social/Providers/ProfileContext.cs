using System.Net;
using System.Text.Json;
using Gatehouse.Core.Social;

namespace Gatehouse.Server.Social.Providers;

/// <summary>What a <see cref="ProfileReader"/> works from: the redeemed tokens, and calls made with the access token.</summary>
internal sealed class ProfileContext(ProviderDefinition provider, ProviderHttp http, string accessToken, JsonElement? idToken, Uri? userInfoEndpoint, string? formUser)
{
    public ProviderDefinition Provider { get; } = provider;

    /// <summary>The validated id token's claims (OpenID Connect providers); null otherwise.</summary>
    public JsonElement? IdToken { get; } = idToken;

    /// <summary>Apple's first-login <c>user</c> form field, as the browser posted it: unsigned, so only the name is taken from it.</summary>
    public string? FormUser { get; } = formUser;

    /// <summary>The configured endpoint, else the discovery document's.</summary>
    public Uri? UserInfoEndpoint { get; } = userInfoEndpoint;

    public Task<JsonElement> GetUserInfoAsync(CancellationToken cancellationToken) =>
        UserInfoEndpoint is { } endpoint
            ? http.GetJsonAsync(Provider.Name, "user", endpoint, accessToken, cancellationToken)
            : throw new SocialProviderException(SocialErrors.ProviderError, $"{Provider.Name}: no user endpoint is configured or discovered.");

    /// <summary>A GET that may be refused for want of a scope or permission (403, 404): then null.</summary>
    public async Task<JsonElement?> GetIfPermittedAsync(Uri endpoint, string step, CancellationToken cancellationToken)
    {
        var response = await http.GetAsync(Provider.Name, step, endpoint, accessToken, cancellationToken);
        return response.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound ? null : ProviderHttp.RequireJson(Provider.Name, step, response);
    }

    public ExternalProfile Profile(string subject, string? email, bool emailVerified, string? name, string? picture) =>
        new(Provider.Name, subject, email, email is not null && emailVerified, name, picture);

    public SocialProviderException Malformed(string what) =>
        new(SocialErrors.ProviderError, $"{Provider.Name}: the user the provider sent has no {what}.");
}
