using System.Globalization;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Social;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// RFC 9457 problem details carrying Gatehouse's stable <c>error</c> code as an extension member. The code, not the
/// status or the title, is what clients switch on.
/// </summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemHttpResult From(Failure failure, HttpContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var status = StatusFor(failure.Error);
        if (failure.RetryAfter is { } retryAfter && context is not null)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var problem = Details(status, failure.Error, failure.Description);
        if (failure.Fields is { Count: > 0 } fields)
        {
            problem.Extensions["errors"] = fields;
        }

        if (failure.ProviderError is { } providerError)
        {
            problem.Extensions["providerError"] = providerError;
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>The problem document every error of Gatehouse uses, whoever writes it.</summary>
    public static ProblemDetails Details(int status, string error, string description)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = TitleFor(error),
            Detail = description,
            Type = "https://gatehouse.dev/errors/" + error,
        };
        problem.Extensions["error"] = error;
        return problem;
    }

    public static ProblemHttpResult From(string error, string description, HttpContext? context = null) => From(new Failure(error, description), context);

    public static int StatusFor(string error) => error switch
    {
        GatehouseErrors.ValidationFailed or OAuthErrors.InvalidRequest or GatehouseErrors.UnsupportedProvider => StatusCodes.Status400BadRequest,
        SocialErrors.InvalidState or SocialErrors.IssuerMismatch or SocialErrors.LoginCancelled or SocialErrors.InvalidSignupToken or SocialErrors.InvalidRedirect or SocialErrors.InvalidNotification => StatusCodes.Status400BadRequest,
        SocialErrors.ProviderError or SocialErrors.InvalidIdToken => StatusCodes.Status502BadGateway,
        SocialErrors.IdentityTaken or SocialErrors.ProviderAlreadyLinked or SocialErrors.LastLoginMethod => StatusCodes.Status409Conflict,
        GatehouseErrors.InvalidCredentials or OAuthErrors.InvalidGrant or OAuthErrors.InvalidToken or GatehouseErrors.Unauthorized => StatusCodes.Status401Unauthorized,
        GatehouseErrors.Forbidden or GatehouseErrors.OriginNotAllowed or GatehouseErrors.ReauthenticationRequired => StatusCodes.Status403Forbidden,
        GatehouseErrors.NotFound => StatusCodes.Status404NotFound,
        GatehouseErrors.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        GatehouseErrors.EmailTaken or GatehouseErrors.Conflict => StatusCodes.Status409Conflict,
        GatehouseErrors.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        GatehouseErrors.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        GatehouseErrors.RateLimited => StatusCodes.Status429TooManyRequests,
        GatehouseErrors.ServiceUnavailable or OAuthErrors.TemporarilyUnavailable or SocialErrors.NotConfigured => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The code a bare status gets when the framework (routing, Kestrel, body parsing) produced it.</summary>
    public static string ErrorFor(int status) => status switch
    {
        400 => GatehouseErrors.ValidationFailed,
        401 => GatehouseErrors.Unauthorized,
        403 => GatehouseErrors.Forbidden,
        404 => GatehouseErrors.NotFound,
        405 => GatehouseErrors.MethodNotAllowed,
        413 => GatehouseErrors.PayloadTooLarge,
        415 => GatehouseErrors.UnsupportedMediaType,
        429 => GatehouseErrors.RateLimited,
        503 => GatehouseErrors.ServiceUnavailable,
        _ when status >= 500 => GatehouseErrors.InternalError,
        _ => GatehouseErrors.ValidationFailed,
    };

    private static string TitleFor(string error) => error switch
    {
        GatehouseErrors.ValidationFailed => "The request is not valid.",
        GatehouseErrors.InvalidCredentials => "The credentials are not valid.",
        OAuthErrors.InvalidGrant => "The grant is not valid.",
        GatehouseErrors.RateLimited => "Too many requests.",
        GatehouseErrors.ServiceUnavailable => "The service is temporarily unavailable.",
        GatehouseErrors.OriginNotAllowed => "The request's origin is not allowed.",
        GatehouseErrors.EmailTaken => "The email is already registered.",
        GatehouseErrors.NotFound => "Not found.",
        GatehouseErrors.ReauthenticationRequired => "A recent login is required.",
        _ => error.Replace('_', ' '),
    };
}
