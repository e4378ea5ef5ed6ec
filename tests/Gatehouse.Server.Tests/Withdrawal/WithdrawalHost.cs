using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Server.Tests.Http;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>What the withdrawal tests share: a host whose outbox polls fast and retries soon, and the calls they make.</summary>
internal static class WithdrawalHost
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<GatehouseFactory> StartAsync(WebhookReceiver? receiver, Action<IDictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null, FakeTimeProvider? time = null, GatehouseFactory? share = null)
    {
        var factory = new GatehouseFactory(
            s =>
            {
                s["Gatehouse:Outbox:PollInterval"] = "00:00:00.1";
                s["Gatehouse:Outbox:InitialBackoff"] = "00:00:00.2";
                s["Gatehouse:Outbox:MaxBackoff"] = "00:00:00.5";
                s["Gatehouse:Webhooks:Timeout"] = "00:00:02";
                receiver?.ApplyTo(s);
                configure?.Invoke(s);
            },
            time)
        {
            TestServices = services,
            ShareStorageWith = share,
        };
        await factory.InitializeAsync();
        return factory;
    }

    /// <summary>A host with the <c>kakao</c> provider pointing at <paramref name="kakao"/> and, when given, <paramref name="revoker"/> as the provider revoker.</summary>
    public static Task<GatehouseFactory> StartWithKakaoAsync(Social.Fakes.FakeProviderServer kakao, WebhookReceiver? receiver, RecordingProviderRevoker? revoker, Action<IServiceCollection>? services = null) =>
        StartAsync(receiver, s => kakao.ApplyTo(s, "kakao"), collection =>
        {
            if (revoker is not null)
            {
                collection.AddSingleton<Server.Social.Revocation.IProviderRevoker>(revoker);
            }

            services?.Invoke(collection);
        });

    /// <summary>Signs the fake's next user up through the hand-off flow; returns the tokens.</summary>
    public static async Task<(string AccessToken, string RefreshToken)> SignUpWithKakaoAsync(HttpClient client)
    {
        using var response = await Social.Flow.SocialFlowFixture.HandOffAsync(client, "kakao");
        var body = await HttpTestHelpers.AssertTokenResponseAsync(response, HttpStatusCode.Created, refreshTokenInBody: true);
        return (body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!);
    }

    public static async Task<HttpResponseMessage> WithdrawAsync(HttpClient client, string accessToken, string? password = null)
    {
        using var request = HttpTestHelpers.Bearer(HttpMethod.Delete, "/members/me", accessToken);
        if (password is not null)
        {
            request.Content = JsonContent.Create(new { password });
        }

        return await client.SendAsync(request, HttpTestHelpers.Ct);
    }

    public static async Task AssertWithdrawnAsync(HttpClient client, string accessToken, string? password = null)
    {
        using var response = await WithdrawAsync(client, accessToken, password);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"DELETE /members/me: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(HttpTestHelpers.Ct)}");
    }

    /// <summary>Polls the admin API until an outbox entry of <paramref name="kind"/> has <paramref name="status"/>.</summary>
    public static async Task<JsonElement> WaitForEntryAsync(HttpClient admin, string kind, string status, Func<JsonElement, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await admin.GetAsync(new Uri($"/admin/outbox/entries?kind={kind}&status={status}", UriKind.Relative), HttpTestHelpers.Ct);
            last = await response.Content.ReadAsStringAsync(HttpTestHelpers.Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var entry in JsonDocument.Parse(last).RootElement.EnumerateArray())
            {
                if (match is null || match(entry))
                {
                    return entry.Clone();
                }
            }

            await Task.Delay(100, HttpTestHelpers.Ct);
        }

        throw new Xunit.Sdk.XunitException($"No {kind} entry became {status}; last list: {HttpTestHelpers.Truncate(last)}");
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), HttpTestHelpers.Ct);
        var text = await response.Content.ReadAsStringAsync(HttpTestHelpers.Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
