using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// Checks where Kestrel is told to listen (<c>Urls</c>, from <c>--urls</c>, <c>ASPNETCORE_URLS</c> or the key, and
/// <c>HTTP_PORTS</c> / <c>HTTPS_PORTS</c>) before anything is read or written. Kestrel reads a port it cannot parse as
/// part of the host name, and any host that is neither an IP address nor <c>localhost</c> as every interface:
/// <c>http://127.0.0.1:5O80</c> would put the server, admin API included, on port 80 of every network the machine has.
/// Such addresses, and the ones Kestrel would refuse only after the database and the key ring were set up (another
/// scheme, a path, a port beyond 65535), stop the start with one line naming the address. So do the endpoints of
/// Kestrel's own section (<c>Kestrel:Endpoints:*:Url</c>), and certificate files it is given that do not exist.
/// </summary>
internal static class ListenAddresses
{
    public const string UrlsKey = "urls";

    /// <summary>
    /// Every problem found, one sentence each naming the address or the key; empty when Kestrel can listen where it is
    /// told. Relative certificate paths are read against <paramref name="contentRoot"/>, as Kestrel reads them.
    /// </summary>
    public static IReadOnlyList<string> Validate(IConfiguration configuration, string contentRoot)
    {
        var problems = new List<string>();
        foreach (var address in Split(configuration[UrlsKey]))
        {
            if (Check(address) is { } problem)
            {
                problems.Add($"Urls: '{address}' {problem}");
            }
        }

        var kestrel = configuration.GetSection("Kestrel");
        foreach (var endpoint in kestrel.GetSection("Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url && Check(url) is { } problem)
            {
                problems.Add($"{endpoint.Path}:Url: '{url}' {problem}");
            }
        }

        // Kestrel reads these files only when it binds, after the start-up work, and a missing one was a stack trace.
        var certificates = kestrel.GetSection("Certificates").GetChildren()
            .Concat(kestrel.GetSection("Endpoints").GetChildren().Select(e => e.GetSection("Certificate")));
        foreach (var certificate in certificates)
        {
            foreach (var file in (string[])["Path", "KeyPath"])
            {
                if (certificate[file] is { Length: > 0 } path && !File.Exists(Path.Combine(contentRoot, path)))
                {
                    problems.Add($"{certificate.Path}:{file} names '{path}', which is not a file Gatehouse can see.");
                }
            }
        }

        foreach (var key in (string[])["http_ports", "https_ports"])
        {
            foreach (var port in Split(configuration[key]))
            {
                if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > IPEndPoint.MaxPort)
                {
                    problems.Add($"{key.ToUpperInvariant()}: '{port}' is not a port number (0-65535).");
                }
            }
        }

        return problems;
    }

    private static string[] Split(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? Check(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return "is not an address such as http://127.0.0.1:5080.";
        }

        if (!parsed.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !parsed.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            return $"has the scheme '{parsed.Scheme}'; Kestrel listens on http and https only.";
        }

        if (parsed.IsUnixPipe || parsed.IsNamedPipe)
        {
            return null;
        }

        if (parsed.PathBase.Length > 0)
        {
            return "has a path; an address to listen on is a scheme, a host and a port.";
        }

        var host = parsed.Host;
        if (host is "*" or "+" || host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return CheckPort(parsed.Port);
        }

        if (UnreadPort(host) is { } port)
        {
            return $"has the port '{port}', which is not a number; Kestrel would listen on port {parsed.Port.ToString(CultureInfo.InvariantCulture)} of every interface.";
        }

        // Without brackets an IPv6 address and a port cannot be told apart (RFC 3986 §3.2.2 requires the brackets):
        // Kestrel read http://::1:beef as the address ::1:beef on port 80.
        if (!host.StartsWith('[') && host.Contains(':', StringComparison.Ordinal))
        {
            return $"names the IPv6 address '{host}' without brackets, so its port cannot be told from the address. Write it in brackets, followed by the port: http://[::1]:5080.";
        }

        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (!IPAddress.TryParse(literal, out _))
        {
            return $"names the host '{host}', which is not an IP address: Kestrel would listen on every interface. Give the address to listen on (127.0.0.1, [::1]), or 0.0.0.0, [::] or * for every interface.";
        }

        return CheckPort(parsed.Port);
    }

    /// <summary>Kestrel keeps a port it cannot read as part of the host: "127.0.0.1:5O80", "[::1]:5O80". Null when there is none.</summary>
    private static string? UnreadPort(string host)
    {
        var colon = host.LastIndexOf(':');
        if (host.StartsWith('['))
        {
            var closing = host.IndexOf(']');
            return closing > 0 && colon > closing ? host[(colon + 1)..] : null;
        }

        // More than one colon is an IPv6 address written without brackets, refused on its own (Check).
        return colon >= 0 && host.IndexOf(':') == colon ? host[(colon + 1)..] : null;
    }

    private static string? CheckPort(int port) =>
        port is < 0 or > IPEndPoint.MaxPort ? $"has the port {port.ToString(CultureInfo.InvariantCulture)}, beyond 0-65535." : null;
}
