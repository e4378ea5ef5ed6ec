namespace Gatehouse.Server.Hosting;

/// <summary>
/// Problem details whatever the request's <c>Accept</c> header says. ASP.NET Core's writer declines a request that
/// accepts no JSON type (a browser's <c>text/html</c>, <c>image/png</c>): status-code pages then answered
/// <c>Status Code: 400; Bad Request</c> as plain text, without the <c>error</c> code, and the exception handler, which
/// cannot answer without a writer, failed in its turn, so a Redis outage's 503 (with its <c>Retry-After</c>) or a
/// full hashing queue became an empty 500. Gatehouse's errors are its API: they are <c>application/problem+json</c> for
/// every client (RFC 9110 §12.1 lets a server answer outside <c>Accept</c>), as its own endpoints' problems already were.
/// </summary>
internal sealed class ProblemJsonForAnyAccept(IProblemDetailsWriter json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context) => json.WriteAsync(context);

    /// <summary>
    /// Registers problem details with <paramref name="configure"/>, their writer wrapped so that it accepts every
    /// request. The writer is the one <c>AddProblemDetails</c> registers (an internal type), found as the descriptor it
    /// adds, so nothing here names it.
    /// </summary>
    public static IServiceCollection AddProblemDetails(IServiceCollection services, Action<ProblemDetailsOptions> configure)
    {
        var before = services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter)).ToList();
        services.AddProblemDetails(configure);
        var added = services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter) && !before.Contains(d)).ToList();
        if (added is not [{ ImplementationType: { } writer } descriptor])
        {
            throw new InvalidOperationException($"AddProblemDetails registered {added.Count} problem details writers; one with an implementation type was expected.");
        }

        services.Remove(descriptor);
        services.AddSingleton<IProblemDetailsWriter>(sp => new ProblemJsonForAnyAccept((IProblemDetailsWriter)ActivatorUtilities.CreateInstance(sp, writer)));
        return services;
    }
}
