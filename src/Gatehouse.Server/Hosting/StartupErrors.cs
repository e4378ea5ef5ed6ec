using Gatehouse.Server.Storage.Database;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// Configuration that cannot work stops the server with one line naming the key, and exit code 2; a database that
/// cannot be reached or used at start-up, or an address another process listens on, with one line naming it, and exit
/// code 3. Not an unhandled exception's stack trace: this is what an operator reads in a container's log.
/// </summary>
internal static class StartupErrors
{
    public const int ConfigurationExitCode = 2;
    public const int UnavailableExitCode = 3;

    private const string HttpsWithoutCertificate = "Unable to configure HTTPS endpoint.";

    /// <summary>
    /// Checks where Kestrel is told to listen, and its certificate files (<see cref="ListenAddresses"/>), before anything
    /// is read or written: Kestrel itself would read some mistakes as another address, and refuse others only after the
    /// start-up work.
    /// </summary>
    public static void ValidateListenAddresses(IConfiguration configuration, string contentRoot)
    {
        var problems = ListenAddresses.Validate(configuration, contentRoot);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join(" ", problems), null);
        }
    }

    /// <summary>
    /// Runs every options validator registered with <c>ValidateOnStart</c> now, before anything is read or written,
    /// instead of when the host starts: a bad setting must not leave a new signing key or a migrated database behind.
    /// </summary>
    public static void ValidateConfiguration(IServiceProvider services)
    {
        foreach (var validator in services.GetServices<IStartupValidator>())
        {
            validator.Validate();
        }
    }

    /// <summary>
    /// For <see cref="AppDomain.UnhandledException"/>: a configuration error, a database out of reach or a taken address
    /// that escaped the entry point is written as one line to standard error and ends the process with
    /// <see cref="ConfigurationExitCode"/> or <see cref="UnavailableExitCode"/>; anything else goes on to the runtime's
    /// own report.
    /// </summary>
    public static void ExitOnStartupError(object sender, UnhandledExceptionEventArgs e)
    {
        if (e.ExceptionObject is not Exception error)
        {
            return;
        }

        var (message, exitCode) = error switch
        {
            DatabaseUnreachableException unreachable => (unreachable.Message, UnavailableExitCode),

            // Kestrel: "Failed to bind to address http://127.0.0.1:5080: address already in use."
            IOException { InnerException: AddressInUseException } taken => (taken.Message + " Another process listens there; choose another with --urls.", UnavailableExitCode),
            _ => (Describe(error), ConfigurationExitCode),
        };
        if (message is not null)
        {
            Console.Error.WriteLine("Gatehouse cannot start: " + message);
            Console.Error.Flush();
            Environment.Exit(exitCode);
        }
    }

    /// <summary>The one-line description of a configuration error, or null when <paramref name="error"/> is something else.</summary>
    public static string? Describe(Exception error) => error switch
    {
        // Gatehouse's validators name the key in each failure.
        OptionsValidationException validation => string.Join(" ", validation.Failures),
        ConfigurationException configuration => configuration.Message,

        // The configuration binder: "Failed to convert configuration value 'x' at 'Section:Key' to type 'T'." Only typed
        // values (times, numbers, switches) fail to convert, so the value it quotes is never a secret.
        InvalidOperationException binder when binder.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => binder.Message,

        // The logging filter's configuration: "Configuration value 'Loud' is not supported.", without the key.
        InvalidOperationException level when level.Message.StartsWith("Configuration value '", StringComparison.Ordinal) && level.Message.EndsWith("' is not supported.", StringComparison.Ordinal) =>
            level.Message + " Log levels (Logging:LogLevel:*) are Trace, Debug, Information, Warning, Error, Critical and None.",

        // Kestrel, for an https address without a certificate: "Unable to configure HTTPS endpoint. No server
        // certificate was specified, and the default developer certificate could not be found or is out of date."
        // and two lines on developer certificates, which a server has no use for.
        InvalidOperationException https when https.Message.StartsWith(HttpsWithoutCertificate, StringComparison.Ordinal) =>
            https.Message.Split('\n')[0].TrimEnd() + " Give Kestrel a certificate (Kestrel:Certificates:Default:Path, with :KeyPath or :Password), or end TLS at a proxy and listen on http.",
        _ => null,
    };
}

/// <summary>A setting Gatehouse itself found unusable while reading its configuration (a secret file it cannot read, a master key path, an address to listen on).</summary>
internal sealed class ConfigurationException(string message, Exception? innerException) : InvalidOperationException(message, innerException);
