using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// A real <c>Gatehouse.Server</c> process, started with <c>dotnet Gatehouse.Server.dll</c> from the build output next
/// to this test assembly's (UseArtifactsOutput: <c>artifacts/bin/Gatehouse.Server/&lt;config&gt;/</c>), configured only
/// through environment variables as a container would be. Its output is kept for failure messages.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int MaxLogChars = 256 * 1024;
    private static readonly Lazy<string> LazyAssemblyPath = new(LocateServerAssembly);
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();

    private ServerProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        BaseAddress = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        _process = process;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public bool HasExited => _process.HasExited;

    public string Logs
    {
        get
        {
            lock (_logLock)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the server on <paramref name="port"/> with <paramref name="settings"/> as environment variables
    /// (<c>Section__Key</c>); <paramref name="urls"/>, when given, is what <c>--urls</c> says instead.
    /// </summary>
    public static ServerProcess Start(string name, int port, IReadOnlyDictionary<string, string> settings, string? urls = null)
    {
        var assembly = LazyAssemblyPath.Value;
        var url = urls ?? "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.ArgumentList.Add(assembly);

        // The command line beats appsettings.json's "Urls", which would beat ASPNETCORE_URLS.
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url);
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Gatehouse__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(name, port, process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName} {assembly}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for the process to end by itself (a start that must fail); its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"server {Name} was still running after {timeout.TotalSeconds:0} s:{Environment.NewLine}{Logs}");
        }

        // WaitForExitAsync returns once the output streams are drained too, so Logs is complete.
        return _process.ExitCode;
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; fails with the server's output if it does not within <paramref name="timeout"/>.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"server {Name} exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{Logs}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "timed out";
            }

            await Task.Delay(200, cancellationToken);
        }

        Assert.Fail($"server {Name} was not ready within {timeout.TotalSeconds:F0} s (last: {last}):{Environment.NewLine}{Logs}");
    }

    public HttpClient CreateClient(StartGate? gate = null)
    {
        var transport = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        HttpMessageHandler handler = gate is null ? transport : gate.CreateHandler(transport);
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
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
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (_log.Length < MaxLogChars)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>The server's build output next to this one: &lt;artifacts&gt;/bin/Gatehouse.Server/&lt;configuration&gt;/ (wherever GATEHOUSE_ARTIFACTS put it).</summary>
    private static string LocateServerAssembly()
    {
        var testFolder = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var configuration = Path.GetFileName(testFolder);
        var bin = Path.GetDirectoryName(Path.GetDirectoryName(testFolder))!;
        var path = Path.Combine(bin, "Gatehouse.Server", configuration, "Gatehouse.Server.dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist: build src/Gatehouse.Server in the '{configuration}' configuration (the test project's build does).");
    }

    private static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll: the host is <root>/dotnet.
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var root = runtime is null ? null : Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        var candidate = root is null ? null : Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}
