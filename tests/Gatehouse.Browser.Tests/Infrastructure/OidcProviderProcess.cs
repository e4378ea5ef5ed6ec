using System.Diagnostics;
using System.Text;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// <c>tests/oidc-provider/server.js</c> (panva's oidc-provider, a real OpenID provider written independently of
/// Gatehouse) in a node process of its own, on a loopback port it picks. Killed, with anything it started, on dispose.
/// </summary>
public sealed class OidcProviderProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OidcProviderProcess(Process process, Uri issuer)
    {
        _process = process;
        Issuer = issuer;
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;, exactly as the provider names itself.</summary>
    public Uri Issuer { get; private set; }

    public string ClientId { get; private init; } = "";

    public string ClientSecret { get; private init; } = "";

    /// <summary>What the provider wrote to stderr so far: its warnings and the errors it met, for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<OidcProviderProcess> StartAsync(string clientId, string clientSecret, Uri redirectUri, CancellationToken cancellationToken)
    {
        var directory = BrowserTestEnvironment.OidcProviderDirectory;
        if (!File.Exists(Path.Combine(directory, "server.js")) || !Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")))
        {
            throw new InvalidOperationException($"The OpenID provider is not installed in {directory}: run `npm ci --no-audit --no-fund` there (scripts/test.sh does).");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("server.js");
        start.ArgumentList.Add("0");
        start.Environment["OIDC_CLIENT_ID"] = clientId;
        start.Environment["OIDC_CLIENT_SECRET"] = clientSecret;
        start.Environment["OIDC_REDIRECT_URIS"] = redirectUri.ToString();
        start.Environment["NODE_ENV"] = "test";

        // Our end of its stdin closes when this process ends, even by a crash or a kill: the provider then exits too.
        start.Environment["OIDC_EXIT_WITH_STDIN"] = "1";

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var provider = new OidcProviderProcess(process, new Uri("http://127.0.0.1/")) { ClientId = clientId, ClientSecret = clientSecret };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (provider._output)
                {
                    provider._output.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"The OpenID provider exited (code {(process.WaitForExit(1000) ? process.ExitCode : -1)}) before it was ready:\n{provider.Output}");
                if (line.StartsWith("ready ", StringComparison.Ordinal))
                {
                    provider.Issuer = new Uri(line["ready ".Length..].Trim());
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await provider.DisposeAsync();
            throw new TimeoutException($"The OpenID provider did not print its ready line within {StartTimeout.TotalSeconds} s:\n{provider.Output}");
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }

        // Nothing more is expected on stdout; keep draining it so the pipe never fills.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
