using Gatehouse.Core.Tokens;
using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Gatehouse.Server.Social.Providers;

public static class SocialProviderServiceCollectionExtensions
{
    /// <summary>
    /// Registers <c>Gatehouse:Social</c>'s providers: <see cref="SocialOptions"/> (validated at start-up), the
    /// <see cref="ISocialProviderRegistry"/>, the <see cref="IProviderRevoker"/>, and the HTTP client every provider call goes through.
    /// </summary>
    public static IServiceCollection AddGatehouseSocialProviders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SocialOptions>()
            .Bind(configuration.GetSection(SocialOptions.Section))
            .PostConfigure(o => ProviderPresets.ResolveRelativeEndpoints(o, configuration[$"{TokenOptions.Section}:{nameof(TokenOptions.Issuer)}"] ?? new TokenOptions().Issuer))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SocialOptions>>(new OptionsValidator<SocialOptions>(o => o.Validate()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProviderHttp>();
        services.TryAddSingleton<ISocialProviderRegistry, SocialProviderRegistry>();

        // Needs the master key (registered by the host): grants are sealed with it.
        services.TryAddSingleton<ProviderGrantSealer>();
        services.TryAddSingleton<IProviderRevoker, ProviderRevoker>();

        services.AddHttpClient(ProviderHttp.ClientName, client =>
            {
                // GitHub's API refuses requests without a User-Agent; ProviderHttp enforces the deadline itself.
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Gatehouse");
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = ProviderHttp.MaxResponseBytes;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A provider API that redirects is misconfigured; following would carry the bearer token elsewhere.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })

            // IHttpClientFactory's two logging handlers open a scope and write four entries (with the URL) per provider
            // call: CPU on the login path for logs nobody reads at Information. Failures are logged by Gatehouse itself.
            .RemoveAllLoggers()
            .AddResilienceHandler("provider", (pipeline, context) =>
            {
                var social = context.ServiceProvider.GetRequiredService<IOptions<SocialOptions>>().Value;

                // Network time is wall-clock time even when a test drives the protocol clock.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline
                    .AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = social.ProviderTimeout })
                    .AddRetry(RetryGetsOnly());

                // Inside the retry, so each attempt counts, and an open circuit is not retried (it is no transient error).
                if (social.CircuitBreaker.Enabled)
                {
                    pipeline.AddCircuitBreaker(CircuitBreaker(social.CircuitBreaker));
                }

                pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = social.ProviderTimeout });
            })

            // One pipeline, and so one circuit, per scheme, host and port: Kakao's API failing leaves its login host,
            // and every other provider, alone.
            .SelectPipelineByAuthority();
        return services;
    }

    private static HttpCircuitBreakerStrategyOptions CircuitBreaker(ProviderCircuitOptions options) => new()
    {
        FailureRatio = options.FailureRatio,
        MinimumThroughput = options.MinimumThroughput,
        SamplingDuration = options.SamplingDuration,
        BreakDuration = options.BreakDuration,
    };

    /// <summary>
    /// GETs (userinfo, emails, discovery, keys) are retried on 5xx, 408, 429, timeouts and network errors, twice, with
    /// exponential backoff. The code exchange is a POST and never retried: a code is single use.
    /// </summary>
    private static HttpRetryStrategyOptions RetryGetsOnly()
    {
        var retry = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        };
        retry.DisableForUnsafeHttpMethods();
        return retry;
    }
}
