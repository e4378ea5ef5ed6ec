using System.Net;

namespace Gatehouse.Server.Webhooks;

/// <summary><c>Gatehouse:Webhooks</c>: where events go, and the secret each endpoint verifies them with.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Gatehouse:Webhooks";
    public const string SecretPrefix = "whsec_";

    /// <summary><c>Endpoints:&lt;n&gt;:Url</c> and <c>:Secret</c>; every event goes to every endpoint.</summary>
    public IList<WebhookEndpointOptions> Endpoints { get; } = [];

    /// <summary>How long one delivery may take before it counts as failed (and is retried).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public WebhookEndpointOptions? Find(string url) =>
        Endpoints.FirstOrDefault(e => string.Equals(e.Url, url, StringComparison.Ordinal));

    public IEnumerable<string> Validate()
    {
        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(1))
        {
            yield return $"{Section}:Timeout must be between 00:00:01 and 00:01:00 (was {Timeout}).";
        }

        for (var i = 0; i < Endpoints.Count; i++)
        {
            var key = $"{Section}:Endpoints:{i}";
            var endpoint = Endpoints[i];
            if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                yield return $"{key}:Url must be an absolute http(s) URL.";
            }
            else if (url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback && !IPAddress.TryParse(url.Host, out _))
            {
                yield return $"{key}:Url must use https (plain http only on loopback).";
            }
            else if (Endpoints.Take(i).Any(e => string.Equals(e.Url, endpoint.Url, StringComparison.Ordinal)))
            {
                yield return $"{key}:Url is listed twice.";
            }

            if (endpoint.SecretBytes() is null)
            {
                yield return $"{key}:Secret must be '{SecretPrefix}' followed by 24 to 64 bytes in base64 (Standard Webhooks), e.g. {SecretPrefix}$(openssl rand -base64 32).";
            }
        }
    }
}

public sealed class WebhookEndpointOptions
{
    public string? Url { get; set; }

    /// <summary><c>whsec_</c> + base64 of the key (also as <c>Secret_FILE</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>The HMAC key: the base64 after <c>whsec_</c>; null when the secret is not of that form.</summary>
    public byte[]? SecretBytes()
    {
        if (Secret is null || !Secret.StartsWith(WebhookOptions.SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var bytes = Convert.FromBase64String(Secret[WebhookOptions.SecretPrefix.Length..]);
            return bytes.Length is >= 24 and <= 64 ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
