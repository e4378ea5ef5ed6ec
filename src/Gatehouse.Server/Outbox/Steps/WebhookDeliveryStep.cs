using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Webhooks;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Outbox.Steps;

/// <summary>
/// POSTs one event to one endpoint, signed the Standard Webhooks way. The <c>webhook-id</c> is the event's id on every
/// attempt (receivers deduplicate on it); the timestamp and signature are the attempt's. Any 2xx is delivered; anything
/// else, or no answer in time, is retried.
/// </summary>
internal sealed class WebhookDeliveryStep(IHttpClientFactory clients, IOptionsMonitor<WebhookOptions> options, TimeProvider time) : IOutboxStep
{
    public const string ClientName = "gatehouse-webhooks";

    public string Kind => OutboxKinds.Webhook;

    public async Task<StepResult> RunAsync(OutboxEntryRow entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var settings = options.CurrentValue;
        if (settings.Find(entry.Target)?.SecretBytes() is not { } key)
        {
            return new StepResult(StepOutcome.Failed, "The endpoint is no longer configured (Gatehouse:Webhooks:Endpoints).");
        }

        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, entry.Target)
        {
            Content = new StringContent(entry.Payload, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add(WebhookSignature.IdHeader, entry.EventId);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(key, entry.EventId, timestamp, entry.Payload));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new StepResult(StepOutcome.Done, StatusCode: status)
                : new StepResult(StepOutcome.Retry, $"The endpoint answered {status}.", status);
        }
        catch (HttpRequestException e)
        {
            return new StepResult(StepOutcome.Retry, "No answer: " + (e.HttpRequestError == HttpRequestError.Unknown ? e.GetType().Name : e.HttpRequestError.ToString()));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StepResult(StepOutcome.Retry, $"No answer within {settings.Timeout}.");
        }
    }
}
