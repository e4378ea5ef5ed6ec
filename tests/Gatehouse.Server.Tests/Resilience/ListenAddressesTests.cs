using Gatehouse.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Where Kestrel is told to listen: what it reads as meant passes; what it would read otherwise (a port it cannot parse,
/// a host name, which means every interface) or refuse only later is named, one sentence an address.
/// </summary>
public sealed class ListenAddressesTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("https://127.0.0.1:5443")]
    [InlineData("HTTP://127.0.0.1:5080")]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://[::1]:5080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://unix:/run/gatehouse/gatehouse.sock")]
    [InlineData(" http://127.0.0.1:5080 ; http://[::1]:5080 ")]
    public void An_address_kestrel_reads_as_written_passes(string urls) =>
        Assert.Empty(ListenAddresses.Validate(Settings(urls: urls), AppContext.BaseDirectory));

    [Theory]
    [InlineData("http://127.0.0.1:5O80", "Urls: 'http://127.0.0.1:5O80' has the port '5O80', which is not a number; Kestrel would listen on port 80 of every interface.")]
    [InlineData("https://[::1]:port", "Urls: 'https://[::1]:port' has the port 'port', which is not a number; Kestrel would listen on port 443 of every interface.")]
    [InlineData("http://*:eighty", "Urls: 'http://*:eighty' has the port 'eighty', which is not a number")]
    [InlineData("http://256.1.1.1:5080", "Urls: 'http://256.1.1.1:5080' names the host '256.1.1.1', which is not an IP address: Kestrel would listen on every interface.")]
    [InlineData("http://gatehouse.internal:5080", "Urls: 'http://gatehouse.internal:5080' names the host 'gatehouse.internal', which is not an IP address")]
    [InlineData("ftp://127.0.0.1:5080", "Urls: 'ftp://127.0.0.1:5080' has the scheme 'ftp'; Kestrel listens on http and https only.")]
    [InlineData("http://127.0.0.1:5080/auth", "Urls: 'http://127.0.0.1:5080/auth' has a path")]
    [InlineData("http://127.0.0.1:70000", "Urls: 'http://127.0.0.1:70000' has the port 70000, beyond 0-65535.")]
    [InlineData("http://127.0.0.1:-1", "Urls: 'http://127.0.0.1:-1' has the port -1, beyond 0-65535.")]
    [InlineData("127.0.0.1:5080", "Urls: '127.0.0.1:5080' is not an address such as http://127.0.0.1:5080.")]
    [InlineData("http://", "Urls: 'http://' is not an address such as http://127.0.0.1:5080.")]
    [InlineData("http://::1:beef", "Urls: 'http://::1:beef' names the IPv6 address '::1:beef' without brackets, so its port cannot be told from the address. Write it in brackets, followed by the port: http://[::1]:5080.")]
    [InlineData("http://::1:5080", "Urls: 'http://::1:5080' names the IPv6 address '::1' without brackets")]
    [InlineData("http://:::5080", "Urls: 'http://:::5080' names the IPv6 address '::' without brackets")]
    [InlineData("http://fe80::1:5080", "Urls: 'http://fe80::1:5080' names the IPv6 address 'fe80::1' without brackets")]
    public void An_address_kestrel_would_read_otherwise_or_refuse_is_named(string urls, string expected)
    {
        var problem = Assert.Single(ListenAddresses.Validate(Settings(urls: urls), AppContext.BaseDirectory));

        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_bad_address_of_a_list_is_named()
    {
        var problems = ListenAddresses.Validate(Settings(urls: "http://127.0.0.1:5080;http://127.0.0.1:x;ftp://[::1]:21"), AppContext.BaseDirectory);

        Assert.Collection(
            problems,
            first => Assert.StartsWith("Urls: 'http://127.0.0.1:x'", first, StringComparison.Ordinal),
            second => Assert.StartsWith("Urls: 'ftp://[::1]:21'", second, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("8080", null)]
    [InlineData("8080;8081", null)]
    [InlineData("eighty", "HTTP_PORTS: 'eighty' is not a port number (0-65535).")]
    [InlineData("65536", "HTTP_PORTS: '65536' is not a port number (0-65535).")]
    [InlineData("-1", "HTTP_PORTS: '-1' is not a port number (0-65535).")]
    public void Http_ports_must_be_port_numbers(string ports, string? expected)
    {
        var problems = ListenAddresses.Validate(Settings(httpPorts: ports), AppContext.BaseDirectory);

        if (expected is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(problems));
        }
    }

    [Fact]
    public void A_kestrel_endpoint_is_checked_like_urls()
    {
        var problems = Validate(new() { ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:5O80", ["Kestrel:Endpoints:Local:Url"] = "http://127.0.0.1:5080" });

        Assert.StartsWith("Kestrel:Endpoints:Http:Url: 'http://127.0.0.1:5O80' has the port '5O80'", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_files_must_exist_relative_paths_read_against_the_content_root()
    {
        var root = Directory.CreateTempSubdirectory("gatehouse-certs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "cert.pem"), "not read here");
            var problems = Validate(
                new()
                {
                    ["Kestrel:Certificates:Default:Path"] = "cert.pem",
                    ["Kestrel:Certificates:Default:KeyPath"] = "/nonexistent/key.pem",
                    ["Kestrel:Endpoints:Https:Certificate:Path"] = Path.Combine(root, "cert.pem"),
                    ["Kestrel:Endpoints:Other:Certificate:Path"] = "missing.pem",
                },
                root);

            Assert.Equal(
                [
                    "Kestrel:Certificates:Default:KeyPath names '/nonexistent/key.pem', which is not a file Gatehouse can see.",
                    "Kestrel:Endpoints:Other:Certificate:Path names 'missing.pem', which is not a file Gatehouse can see.",
                ],
                problems);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static IReadOnlyList<string> Validate(Dictionary<string, string?> settings, string? contentRoot = null) =>
        ListenAddresses.Validate(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), contentRoot ?? AppContext.BaseDirectory);

    private static IConfiguration Settings(string? urls = null, string? httpPorts = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = urls, ["http_ports"] = httpPorts }).Build();
}
