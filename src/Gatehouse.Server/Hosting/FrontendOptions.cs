namespace Gatehouse.Server.Hosting;

/// <summary><c>Gatehouse:Frontend</c>: the browser apps that may call Gatehouse with credentials.</summary>
public sealed class FrontendOptions
{
    public const string Section = "Gatehouse:Frontend";

    /// <summary>Origins (scheme://host[:port]) allowed for CORS with credentials, cookie-authenticated calls and redirect targets.</summary>
    public IList<string> Origins { get; } = [];

    /// <summary>Mark the refresh cookie Secure. Turn off only for plain-http development.</summary>
    public bool SecureCookies { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < Origins.Count; i++)
        {
            if (!Uri.TryCreate(Origins[i], UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || Origins[i].EndsWith('/'))
            {
                yield return $"{Section}:Origins:{i} must be an origin such as https://app.example.com (scheme, host, optional port; no path).";
            }
        }
    }

    public bool IsAllowed(string? origin) => origin is not null && Origins.Any(o => string.Equals(o, origin, StringComparison.OrdinalIgnoreCase));
}
