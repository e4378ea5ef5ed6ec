using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// What <c>scripts/test.sh</c> provides the browser tests: <c>GATEHOUSE_TEST_CHROMIUM</c> (the Chromium binary,
/// default <c>/usr/bin/chromium</c>, Debian's <c>chromium</c> package), <c>GATEHOUSE_TEST_OIDC_PROVIDER_DIR</c> (the
/// folder of the OpenID provider, default <c>tests/oidc-provider</c>, with its <c>npm ci</c> done) and
/// <c>GATEHOUSE_TEST_TMPDIR</c> (a scratch folder the script removes).
/// </summary>
internal static class BrowserTestEnvironment
{
    public static string ChromiumPath => Read("GATEHOUSE_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    public static string OidcProviderDirectory => Read("GATEHOUSE_TEST_OIDC_PROVIDER_DIR") ?? Path.Combine(RepositoryRoot(), "tests", "oidc-provider");

    public static string ScratchDirectory => Read("GATEHOUSE_TEST_TMPDIR") ?? Path.GetTempPath();

    /// <summary>
    /// A loopback port nothing listens on now. Only for a server whose URL must be known before it starts (Gatehouse:
    /// its issuer and callback are configuration); everything else binds port 0.
    /// </summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The checkout this assembly was built from (the build output may live elsewhere: GATEHOUSE_ARTIFACTS).</summary>
    private static string RepositoryRoot() =>
        typeof(BrowserTestEnvironment).Assembly.GetCustomAttributes(typeof(AssemblyMetadataAttribute), false).Cast<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "GatehouseRepositoryRoot")?.Value
        ?? throw new InvalidOperationException("The GatehouseRepositoryRoot assembly metadata is missing; set GATEHOUSE_TEST_OIDC_PROVIDER_DIR.");

    private static string? Read(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
