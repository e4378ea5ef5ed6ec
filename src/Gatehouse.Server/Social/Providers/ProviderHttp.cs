using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Core.Social;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Gatehouse.Server.Social.Providers;

/// <summary>A provider's answer: its status, and its body when that was JSON.</summary>
internal sealed record ProviderResponse(HttpStatusCode Status, JsonElement? Json)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;
}

/// <summary>
/// Every HTTP call to a provider: through the named client (whose resilience handler retries GETs only), within
/// <see cref="SocialOptions.ProviderTimeout"/> from the first byte sent to the last byte read, with the body capped
/// at <see cref="MaxResponseBytes"/>. Whatever goes wrong becomes a <see cref="SocialProviderException"/>; the
/// caller's own cancellation stays an <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class ProviderHttp(IHttpClientFactory clients, IOptions<SocialOptions> options)
{
    public const string ClientName = "Gatehouse.SocialProviders";

    /// <summary>No provider document is near this: a larger answer is refused before it costs memory.</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    public TimeSpan Timeout => options.Value.ProviderTimeout;

    /// <summary>A GET with the member's access token (RFC 6750 §2.1): userinfo, GitHub's emails.</summary>
    public Task<ProviderResponse> GetAsync(string provider, string step, Uri endpoint, string? accessToken, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return SendAsync(provider, step, request, cancellationToken);
    }

    /// <summary>A GET whose JSON answer is required, and whose errors are the provider's: <paramref name="step"/> names it in messages.</summary>
    public async Task<JsonElement> GetJsonAsync(string provider, string step, Uri endpoint, string? accessToken, CancellationToken cancellationToken)
    {
        var response = await GetAsync(provider, step, endpoint, accessToken, cancellationToken);
        return RequireJson(provider, step, response);
    }

    /// <summary>The JSON of a successful answer; otherwise the failure, with the provider's own error code when it sent one.</summary>
    public static JsonElement RequireJson(string provider, string step, ProviderResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Json is { } json && ProviderJson.Error(json) is { } error)
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint answered HTTP {(int)response.Status} with error '{Clip(error)}'.", Clip(error));
        }

        if (!response.IsSuccess)
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint answered HTTP {(int)response.Status}.");
        }

        return response.Json ?? throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint answered with something that is not JSON.");
    }

    public async Task<ProviderResponse> SendAsync(string provider, string step, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var _ = request;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        // The resilience handler bounds the attempts; this bounds the whole call, body included (the handler returns
        // at the headers). Transport time is wall-clock time, whatever clock the protocol checks use.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var (tooLarge, json) = await ReadJsonAsync(response.Content, deadline.Token);
            return tooLarge
                ? throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint answered with more than {MaxResponseBytes / 1024} KiB.")
                : new ProviderResponse(response.StatusCode, json);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException e)
        {
            var again = e.RetryAfter is { } wait ? $" for another {Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0} s" : " for a while";
            throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint's host failed too often lately; Gatehouse does not call it{again} (Gatehouse:Social:CircuitBreaker).", null, e)
            {
                RetryAfter = e.RetryAfter,
            };
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException)
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint did not answer within {Timeout.TotalSeconds:0.#} s.", null, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
        {
            throw new SocialProviderException(SocialErrors.ProviderError, $"{provider}: the {step} endpoint could not be reached.", null, e);
        }
    }

    /// <summary>
    /// Reads at most <see cref="MaxResponseBytes"/> (too large: nothing more is read) into a pooled buffer, sized by
    /// Content-Length when the provider sent one, and parses it there: the JSON is copied out and the buffer, which
    /// held the provider's tokens, is cleared and returned. A buffer per call made this the largest allocation of a
    /// social login (a third of its bytes, a 16 KiB chunk and a copy per call), and every such byte brings the next
    /// collection nearer for the logins in flight.
    /// </summary>
    private static async Task<(bool TooLarge, JsonElement? Json)> ReadJsonAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var declared = content.Headers.ContentLength;
        if (declared > MaxResponseBytes)
        {
            return (true, null);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);

        // One byte more than declared, so that the read which finds the end needs no larger buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(declared is { } size ? (int)size + 1 : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxResponseBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > MaxResponseBytes)
                {
                    return (true, null);
                }
            }

            return (false, TryParse(buffer.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private static JsonElement? TryParse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<JsonElement>(body);
        }
        catch (JsonException)
        {
            // An HTML error page, a proxy's banner: not JSON, whatever the Content-Type said.
            return null;
        }
    }

    internal static string Clip(string value) => value.Length <= 64 ? value : value[..64];
}
