using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Social;
using Gatehouse.Server.Social.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Server.Endpoints.Social;

/// <summary>
/// Deprovisioning that comes from a provider: Kakao's unlink callback and Apple's server-to-server notifications.
/// Each verifies the sender, writes the request down through <see cref="IProviderDeprovisioning.RecordAsync"/> and
/// answers at once; no provider is called here (Kakao wants its answer within 3 seconds), the handling runs afterwards.
/// </summary>
internal static partial class DeprovisioningEndpoints
{
    public const string Unlinked = "unlinked";
    public const string AccountDeleted = "account_deleted";
    private const string KakaoScheme = "KakaoAK";

    public static void MapDeprovisioningEndpoints(this IEndpointRouteBuilder routes)
    {
        var social = routes.MapGroup("/auth/social").WithTags("Social login").RequireRateLimiting(GatehouseBuilderExtensions.ProviderNotificationLimiter);
        social.MapMethods("/{provider}/unlink", ["GET", "POST"], KakaoUnlinkAsync).DisableAntiforgery()
            .WithSummary("Kakao's unlink callback (set it in the Kakao developers console): Authorization: KakaoAK <admin key>; app_id, user_id, referrer_type.");
        social.MapPost("/{provider}/notifications", AppleNotificationAsync)
            .WithSummary("Apple's server-to-server notifications: {\"payload\": <JWT signed by Apple>}; consent-revoked and account-delete unlink Apple, or withdraw the member when it was their last way to log in.");
    }

    internal static async Task<Results<Ok, ProblemHttpResult>> KakaoUnlinkAsync(
        string provider, HttpContext context, ISocialProviderRegistry providers, IProviderDeprovisioning deprovisioning, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (Find(providers, provider, ProviderKinds.Kakao) is not { } kakao)
        {
            return NotThisProvider(provider, "Kakao", context);
        }

        if (kakao.Definition.AdminKey is not { } adminKey)
        {
            return NotConfigured($"{kakao.Name}: no AdminKey is configured, so Kakao's callback cannot be verified.");
        }

        // Kakao authenticates the callback with the app's admin key; digests keep the comparison's time independent of
        // where, or whether the lengths, differ.
        var presented = context.Request.Headers.Authorization.ToString();
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes($"{KakaoScheme} {adminKey}"))))
        {
            context.Response.Headers.WWWAuthenticate = KakaoScheme;
            return Problems.From(GatehouseErrors.Unauthorized, "The callback must carry Authorization: KakaoAK with this app's admin key.", context);
        }

        var fields = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync(cancellationToken)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : context.Request.Query.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var userId = fields.GetValueOrDefault("user_id");
        if (!IsSubject(userId))
        {
            return Problems.From(Failure.Validation("user_id", "user_id is required: the Kakao user id."), context);
        }

        if (kakao.Definition.AppId is { } appId && fields.GetValueOrDefault("app_id") != appId)
        {
            return Problems.From(Failure.Validation("app_id", "app_id is not this app's (Gatehouse:Social:Providers:<name>:AppId)."), context);
        }

        // Kakao's referrer_type: ACCOUNT_DELETE and FORCED_ACCOUNT_DELETE when the Kakao account itself is gone;
        // UNLINK_FROM_APPS (the user) or UNLINK_FROM_ADMIN (the console) when only the link to this app is.
        var referrer = fields.GetValueOrDefault("referrer_type");
        var reason = referrer is "ACCOUNT_DELETE" or "FORCED_ACCOUNT_DELETE" ? AccountDeleted : Unlinked;
        await deprovisioning.RecordAsync(kakao.Name, userId!, reason, cancellationToken);
        var logger = loggers.CreateLogger(typeof(DeprovisioningEndpoints));
        var providerReason = Clip(referrer);
        LogReceived(logger, kakao.Name, reason, providerReason);
        return TypedResults.Ok();
    }

    internal static async Task<Results<Ok, ProblemHttpResult>> AppleNotificationAsync(
        string provider, AppleNotificationRequest request, HttpContext context, ISocialProviderRegistry providers, IProviderDeprovisioning deprovisioning, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (Find(providers, provider, ProviderKinds.Apple) is not { } apple)
        {
            return NotThisProvider(provider, "Apple", context);
        }

        if (request.Payload is not { Length: > 0 and <= 16 * 1024 } payload)
        {
            return Problems.From(Failure.Validation("payload", "payload is required: the notification's JWT."), context);
        }

        JsonElement claims;
        try
        {
            // Signed by a key of Apple's JWKS, issued by Apple, for this client, unexpired.
            claims = await apple.ValidateSignedAsync(payload, cancellationToken);
        }
        catch (SocialProviderException e) when (e.Error == SocialErrors.InvalidIdToken)
        {
            return InvalidNotification(e.Message.Replace("the id token", "the notification", StringComparison.Ordinal));
        }
        catch (SocialProviderException e)
        {
            return Problems.From(new Failure(e.Error, e.Message), context);
        }

        if (Event(claims) is not { } notification || notification.Type is null || !IsSubject(notification.Subject))
        {
            return InvalidNotification("The notification's events claim has no type or sub.");
        }

        // Apple's types: consent-revoked (the user stopped using Sign in with Apple with this app), account-delete
        // (the Apple account is gone; "account-deleted" in Apple's current documentation), email-disabled /
        // email-enabled (private relay forwarding): nothing to do.
        var reason = notification.Type switch
        {
            "consent-revoked" => Unlinked,
            "account-delete" or "account-deleted" => AccountDeleted,
            _ => null,
        };
        var logger = loggers.CreateLogger(typeof(DeprovisioningEndpoints));
        var type = Clip(notification.Type);
        if (reason is null)
        {
            LogIgnored(logger, apple.Name, type);
            return TypedResults.Ok();
        }

        await deprovisioning.RecordAsync(apple.Name, notification.Subject!, reason, cancellationToken);
        LogReceived(logger, apple.Name, reason, type);
        return TypedResults.Ok();
    }

    /// <summary>Apple's <c>events</c> claim is a JSON object serialized into a string; an object is taken as well.</summary>
    private static (string? Type, string? Subject)? Event(JsonElement claims)
    {
        var events = ProviderJson.Find(claims, "events");
        JsonElement parsed;
        switch (events)
        {
            case { ValueKind: JsonValueKind.Object } value:
                parsed = value;
                break;
            case { ValueKind: JsonValueKind.String } text:
                try
                {
                    parsed = JsonSerializer.Deserialize<JsonElement>(text.GetString()!);
                }
                catch (JsonException)
                {
                    return null;
                }

                break;
            default:
                return null;
        }

        return parsed.ValueKind == JsonValueKind.Object ? (ProviderJson.Text(parsed, "type"), ProviderJson.Text(parsed, "sub")) : null;
    }

    private static CodeFlowProvider? Find(ISocialProviderRegistry providers, string name, string kind) =>
        name is { Length: <= 64 } && providers.TryGet(name, out var found) && found is CodeFlowProvider flow && flow.Definition.Kind == kind ? flow : null;

    private static bool IsSubject(string? value) => value is { Length: > 0 and <= 255 } && !value.Any(char.IsControl);

    private static string Clip(string? value) => value is null ? "none" : new string(value.Where(c => c is >= ' ' and <= '~').Take(40).ToArray());

    private static ProblemHttpResult NotThisProvider(string provider, string kind, HttpContext context) =>
        Problems.From(new Failure(GatehouseErrors.UnsupportedProvider, string.Create(CultureInfo.InvariantCulture, $"'{Clip(provider)}' is not an enabled {kind} provider."))
        {
            Fields = new Dictionary<string, string[]> { ["provider"] = [$"Not an enabled {kind} provider."] },
        }, context);

    private static ProblemHttpResult NotConfigured(string description) => Problems.From(SocialErrors.NotConfigured, description);

    private static ProblemHttpResult InvalidNotification(string description) => Problems.From(SocialErrors.InvalidNotification, description);

    [LoggerMessage(EventId = 5420, Level = LogLevel.Information, Message = "{Provider} reported a member's link ended ({Reason}, {ProviderReason}); recorded for handling.")]
    private static partial void LogReceived(ILogger logger, string provider, string reason, string providerReason);

    [LoggerMessage(EventId = 5421, Level = LogLevel.Information, Message = "{Provider} sent a notification of type {Type}, which needs nothing done.")]
    private static partial void LogIgnored(ILogger logger, string provider, string type);
}

/// <param name="Payload">The JWT Apple signed (ES256 or RS256, a key of its JWKS): <c>events</c> holds {type, sub, event_time, …}.</param>
public sealed record AppleNotificationRequest(string? Payload);
