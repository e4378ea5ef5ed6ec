using Gatehouse.Core.Social;

namespace Gatehouse.Server.Endpoints.Social;

/// <param name="RedirectUri">The frontend page the provider sends the code to; must be on an allowed origin (and registered at the provider).</param>
/// <param name="Intent"><c>login</c> (default) or <c>link</c> (needs the member's access token).</param>
public sealed record SocialAuthorizationRequest(string? RedirectUri, string? Intent);

public sealed record SocialAuthorizationResponse(string AuthorizationUrl, string State);

public sealed record ProviderResponse(string Name, string DisplayName, string[] Flows);

public sealed record ProfileResponse(string Provider, string? Email, bool EmailVerified, string? Name, string? Picture)
{
    public static ProfileResponse From(ExternalProfile profile) => new(profile.Provider, profile.Email, profile.EmailVerified, profile.Name, profile.Picture);
}

/// <summary>A social login whose member does not exist yet and needs more fields: complete it with <c>POST /auth/signup</c>.</summary>
public sealed record SignupRequiredResponse(string Status, string SignupToken, ProfileResponse Profile, IReadOnlyList<string> Missing);

public sealed record IdentityResponse(string Provider, string? Email, bool EmailVerified, string? Name, string? Picture, DateTimeOffset LinkedAt, DateTimeOffset LastLoginAt)
{
    public static IdentityResponse From(MemberIdentity identity) =>
        new(identity.Provider, identity.Email, identity.EmailVerified, identity.Name, identity.Picture, identity.LinkedAt, identity.LastLoginAt);
}

/// <summary>The answer to a completed link: the member's identities now.</summary>
public sealed record LinkedResponse(string Status, IReadOnlyList<IdentityResponse> Identities);
