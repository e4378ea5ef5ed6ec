using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// The real Gatehouse host on Kestrel (a browser needs a real port) at http://127.0.0.1:&lt;port&gt;, which is also its
/// issuer, with a SQLite file of its own. The settings a test adds (providers, required fields) come on top.
/// </summary>
public sealed class GatehouseKestrelHost : WebApplicationFactory<Program>
{
    public const string AdminKey = "browser-tests-admin-key-0123456789abcdef";
    private readonly string _environment;
    private readonly string _sqlitePath = Path.Combine(BrowserTestEnvironment.ScratchDirectory, "gh-browser-" + Guid.NewGuid().ToString("N") + ".db");

    /// <param name="port">A free loopback port: Gatehouse's URL is configuration (issuer, callbacks), so it is chosen before the start.</param>
    /// <param name="environment">Development maps the development provider.</param>
    public GatehouseKestrelHost(int port, string environment, IEnumerable<Uri> frontendOrigins, IDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(frontendOrigins);
        ArgumentNullException.ThrowIfNull(settings);
        _environment = environment;
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        Settings["urls"] = BaseUrl.GetLeftPart(UriPartial.Authority);
        Settings["Gatehouse:Tokens:Issuer"] = BaseUrl.GetLeftPart(UriPartial.Authority);
        Settings["Gatehouse:Keys:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Settings["Gatehouse:Admin:ApiKey"] = AdminKey;
        Settings["Gatehouse:Frontend:SecureCookies"] = "false";
        Settings["Gatehouse:RateLimits:CredentialRequestsPerSecond"] = "10000";
        Settings["Gatehouse:RateLimits:CredentialBurst"] = "10000";
        Settings["Gatehouse:Database:Provider"] = "sqlite";
        Settings["ConnectionStrings:Gatehouse"] = "Data Source=" + _sqlitePath;
        Settings["Gatehouse:Sessions:Store"] = "database";
        var i = 0;
        foreach (var origin in frontendOrigins)
        {
            Settings[$"Gatehouse:Frontend:Origins:{i++}"] = origin.GetLeftPart(UriPartial.Authority);
        }

        foreach (var (key, value) in settings)
        {
            Settings[key] = value;
        }

        ClientOptions.BaseAddress = BaseUrl;
        UseKestrel();
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;: where the browser goes, and the issuer.</summary>
    public Uri BaseUrl { get; }

    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var file in new[] { _sqlitePath, _sqlitePath + "-wal", _sqlitePath + "-shm" })
        {
            File.Delete(file);
        }
    }
}
