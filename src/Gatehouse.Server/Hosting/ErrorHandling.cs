using System.Data.Common;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Sessions;
using Microsoft.AspNetCore.Diagnostics;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// Turns what escapes an endpoint into problem details: bad input into 4xx, an unreachable store or a full hashing
/// queue into 503 with Retry-After, anything else into a 500 without internals.
/// </summary>
internal sealed partial class ErrorHandling : IExceptionHandler
{
    private readonly IProblemDetailsService _problems;
    private readonly ILogger<ErrorHandling> _logger;

    public ErrorHandling(IProblemDetailsService problems, ILogger<ErrorHandling> logger)
    {
        _problems = problems;
        _logger = logger;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, error, detail, retryAfter) = exception switch
        {
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (413, GatehouseErrors.PayloadTooLarge, "The request body is too large.", 0),
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status415UnsupportedMediaType =>
                (415, GatehouseErrors.UnsupportedMediaType, "Send JSON with Content-Type: application/json.", 0),
            BadHttpRequestException bad =>
                (bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, GatehouseErrors.ValidationFailed, "The request body is not valid JSON of the expected shape.", 0),
            SessionStoreUnavailableException =>
                (503, GatehouseErrors.ServiceUnavailable, "The session store is unavailable. Try again shortly.", 5),
            MemberWithdrawnException withdrawn =>
                (401, OAuthErrors.InvalidToken, withdrawn.Message, 0),
            PasswordHasherBusyException =>
                (503, GatehouseErrors.ServiceUnavailable, "The server is busy. Try again shortly.", 2),
            _ when IsBackingStoreFailure(exception) =>
                (503, GatehouseErrors.ServiceUnavailable, "A backing store is unavailable. Try again shortly.", 5),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (499, "client_closed_request", "The client went away.", 0),
            _ => (500, GatehouseErrors.InternalError, "An unexpected error occurred.", 0),
        };

        if (status >= 500)
        {
            LogFailure(_logger, exception, httpContext.Request.Method, httpContext.Request.Path, status);
        }

        if (httpContext.Response.HasStarted)
        {
            return true;
        }

        httpContext.Response.StatusCode = status;
        if (retryAfter > 0)
        {
            httpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await _problems.WriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = Problems.Details(status, error, detail), Exception = exception });
        return true;
    }

    /// <summary>
    /// A database or Redis failure, as thrown or wrapped: EF Core's execution strategy wraps a failure it judges
    /// transient (a connection the server terminated, for one) in an <see cref="InvalidOperationException"/>.
    /// </summary>
    private static bool IsBackingStoreFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or Microsoft.EntityFrameworkCore.DbUpdateException or StackExchange.Redis.RedisException)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}.")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, PathString path, int status);
}
