using Gatehouse.Core.Events;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Outbox.Steps;
using Gatehouse.Server.Storage;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Outbox;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers withdrawal and the outbox: <c>Gatehouse:Outbox</c> and <c>Gatehouse:Webhooks</c> (validated at start-up),
    /// the withdrawal and grant stores, provider deprovisioning, the event publisher, the sign-up interceptor that writes
    /// <c>member.created</c>, the steps and the dispatcher. <see cref="Social.Revocation.IProviderRevoker"/> is not
    /// registered here: the provider-revocation step uses it when something else registers it.
    /// </summary>
    public static IServiceCollection AddGatehouseOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutboxOptions>>(new OptionsValidator<OutboxOptions>(o => o.Validate()));
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new OptionsValidator<WebhookOptions>(o => o.Validate()));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FaultPoints>();
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<MemberCreatedInterceptor>();
        services.TryAddSingleton<IEventPublisher, OutboxEventPublisher>();
        services.TryAddSingleton<IWithdrawalStore, EfWithdrawalStore>();
        services.TryAddSingleton<IProviderGrantStore, EfProviderGrantStore>();
        services.TryAddSingleton<IProviderDeprovisioning, ProviderDeprovisioning>();
        services.TryAddSingleton<WithdrawalService>();

        services.AddSingleton<IOutboxStep, WebhookDeliveryStep>();
        services.AddSingleton<IOutboxStep, SessionRevocationStep>();
        services.AddSingleton<IOutboxStep, ProviderRevocationStep>();
        services.AddSingleton<IOutboxStep, ProviderDeprovisionStep>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());

        services.AddHttpClient(WebhookDeliveryStep.ClientName, client =>
            {
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Gatehouse-Webhooks");
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A receiver that redirects is misconfigured; following would send the signed event elsewhere.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        return services;
    }
}
