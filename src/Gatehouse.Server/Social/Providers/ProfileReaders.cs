using System.Text.Json;
using Gatehouse.Core.Social;
using static Gatehouse.Server.Social.Providers.ProviderJson;

namespace Gatehouse.Server.Social.Providers;

/// <summary>Each provider's user, reduced to an <see cref="ExternalProfile"/>: one small reader per documented shape.</summary>
internal static class ProfileReaders
{
    private const int MaxFormUserLength = 4096;

    /// <summary>
    /// Kakao: <c>GET /v2/user/me</c> on every login, in OpenID Connect mode too: Kakao counts it as the app's use of
    /// the account (an app that never reads the user after a login can have it unlinked), and it is the only source
    /// of whether the address is valid and verified.
    /// </summary>
    public static async Task<ExternalProfile> KakaoAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var me = await context.GetUserInfoAsync(cancellationToken);
        var id = Text(me, "id") ?? throw context.Malformed("id");
        if (context.IdToken is { } claims && !string.Equals(Text(claims, "sub"), id, StringComparison.Ordinal))
        {
            throw new SocialProviderException(SocialErrors.InvalidIdToken, $"{context.Provider.Name}: the id token names another user than /v2/user/me.");
        }

        // is_email_valid is false for an address that expired or was taken by another account: it reaches no one.
        var email = Flag(me, "kakao_account.is_email_valid") == false ? null : Text(me, "kakao_account.email");
        var picture = Flag(me, "kakao_account.profile.is_default_image") == true
            ? null
            : Text(me, "kakao_account.profile.profile_image_url") ?? Text(me, "properties.profile_image");
        return context.Profile(
            id,
            email,
            Flag(me, "kakao_account.is_email_verified") == true,
            Text(me, "kakao_account.profile.nickname") ?? Text(me, "properties.nickname"),
            picture);
    }

    /// <summary>Naver: <c>{resultcode: "00", message, response: {…}}</c>. Naver does not say whether it verified the address, so it is not taken as verified.</summary>
    public static async Task<ExternalProfile> NaverAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var me = await context.GetUserInfoAsync(cancellationToken);
        var resultCode = Text(me, "resultcode");
        if (resultCode != "00")
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{context.Provider.Name}: the user endpoint answered resultcode '{resultCode}'.", resultCode ?? "no_resultcode");
        }

        return context.Profile(
            Text(me, "response.id") ?? throw context.Malformed("id"),
            Text(me, "response.email"),
            emailVerified: false,
            Text(me, "response.nickname") ?? Text(me, "response.name"),
            Text(me, "response.profile_image"));
    }

    /// <summary>
    /// GitHub: <c>/user</c> has the public address only (often null) and no verification; <c>/user/emails</c> lists
    /// every address with <c>primary</c> and <c>verified</c>, and the primary verified one is taken.
    /// </summary>
    public static async Task<ExternalProfile> GitHubAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var user = await context.GetUserInfoAsync(cancellationToken);
        var id = Text(user, "id") ?? throw context.Malformed("id");
        var publicEmail = Text(user, "email");
        var (email, verified) = (publicEmail, false);
        if (context.Provider.EmailsEndpoint is { } endpoint && await context.GetIfPermittedAsync(endpoint, "emails", cancellationToken) is { ValueKind: JsonValueKind.Array } emails)
        {
            var listed = emails.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList();
            var primary = listed.FirstOrDefault(e => Flag(e, "primary") == true && Flag(e, "verified") == true);
            (email, verified) = Text(primary, "email") is { } primaryEmail
                ? (primaryEmail, true)
                : (publicEmail, publicEmail is not null && listed.Any(e => Flag(e, "verified") == true && string.Equals(Text(e, "email"), publicEmail, StringComparison.OrdinalIgnoreCase)));
        }

        return context.Profile(id, email, verified, Text(user, "name") ?? Text(user, "login"), Text(user, "avatar_url"));
    }

    /// <summary>Google, Slack: the id token carries the profile; userinfo is asked only when it lacks the email or the name.</summary>
    public static async Task<ExternalProfile> ClaimsAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var claims = RequireIdToken(context);
        var needUserInfo = context.UserInfoEndpoint is not null && (Text(claims, "email") is null || Text(claims, "name") is null);
        return FromClaims(context, claims, needUserInfo ? await UserInfoOfAsync(context, claims, cancellationToken) : null);
    }

    /// <summary>Generic OpenID Connect: the id token, completed by userinfo whenever the provider has one.</summary>
    public static async Task<ExternalProfile> ClaimsAndUserInfoAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var claims = RequireIdToken(context);
        return FromClaims(context, claims, context.UserInfoEndpoint is null ? null : await UserInfoOfAsync(context, claims, cancellationToken));
    }

    /// <summary>
    /// Apple: everything from the id token (<c>email_verified</c> may be the string "true"); the name exists only in
    /// the first login's form field <c>user</c>, <c>{"name": {"firstName", "lastName"}, "email"}</c>.
    /// </summary>
    public static Task<ExternalProfile> AppleAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var claims = RequireIdToken(context);
        return Task.FromResult(context.Profile(
            Text(claims, "sub") ?? throw context.Malformed("sub"),
            Text(claims, "email"),
            Flag(claims, "email_verified") == true,
            AppleName(context.FormUser),
            picture: null));
    }

    /// <summary><c>oauth2</c> and the development provider: the user JSON, read at the configured paths.</summary>
    public static async Task<ExternalProfile> JsonPathsAsync(ProfileContext context, CancellationToken cancellationToken)
    {
        var me = await context.GetUserInfoAsync(cancellationToken);
        var paths = context.Provider.Paths;
        return context.Profile(
            Text(me, paths.Id) ?? throw context.Malformed($"'{paths.Id}'"),
            Text(me, paths.Email),
            Flag(me, paths.EmailVerified) == true,
            Text(me, paths.Name),
            Text(me, paths.Picture));
    }

    private static JsonElement RequireIdToken(ProfileContext context) =>
        context.IdToken ?? throw new SocialProviderException(SocialErrors.InvalidIdToken, $"{context.Provider.Name}: the token response has no id token.");

    /// <summary>OpenID Connect Core §5.3.2: a userinfo answer whose <c>sub</c> is not the id token's must not be used.</summary>
    private static async Task<JsonElement> UserInfoOfAsync(ProfileContext context, JsonElement claims, CancellationToken cancellationToken)
    {
        var info = await context.GetUserInfoAsync(cancellationToken);
        if (!string.Equals(Text(info, "sub"), Text(claims, "sub"), StringComparison.Ordinal))
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{context.Provider.Name}: the userinfo answer is about another user than the id token.");
        }

        return info;
    }

    private static ExternalProfile FromClaims(ProfileContext context, JsonElement claims, JsonElement? info)
    {
        var subject = Text(claims, "sub") ?? throw context.Malformed("sub");

        // The verified flag is read from whichever document the address came from.
        var source = Text(info, "email") is not null ? info : claims;
        var name = Text(info, "name") ?? Text(claims, "name") ?? JoinNames(Text(claims, "given_name"), Text(claims, "family_name"));
        return context.Profile(subject, Text(source, "email"), Flag(source, "email_verified") == true, name, Text(info, "picture") ?? Text(claims, "picture"));
    }

    private static string? AppleName(string? formUser)
    {
        if (formUser is not { Length: > 0 and <= MaxFormUserLength })
        {
            return null;
        }

        try
        {
            var user = JsonSerializer.Deserialize<JsonElement>(formUser);
            return JoinNames(Text(user, "name.firstName"), Text(user, "name.lastName"));
        }
        catch (JsonException)
        {
            // The name is a courtesy: a mangled form field costs the name, never the login.
            return null;
        }
    }

    private static string? JoinNames(string? first, string? last) =>
        string.Join(' ', new[] { first?.Trim(), last?.Trim() }.Where(n => !string.IsNullOrEmpty(n))) is { Length: > 0 } joined ? joined : null;
}
