using System.Globalization;
using System.Threading.RateLimiting;
using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Throttling;
using Gatehouse.Core.Tokens;
using Gatehouse.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Gatehouse.Server.Hosting;

/// <summary>Everything <c>Program.cs</c> registers, in one place.</summary>
public static class GatehouseBuilderExtensions
{
    public const string MemberPolicy = "member";
    public const string AdminPolicy = "admin";
    public const string CredentialLimiter = "credentials";
    public const string ProviderNotificationLimiter = "provider-notifications";
    public const string FrontendCors = "frontend";

    /// <summary>Configuration switch: the runtime's own metrics (dotnet_*) on /metrics.</summary>
    public const string RuntimeMetricsKey = "Gatehouse:Metrics:Runtime";

    public const long MaxRequestBodySize = 64 * 1024;
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static WebApplicationBuilder AddGatehouse(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddSecretFiles();
        var services = builder.Services;
        var configuration = builder.Configuration;

        // 127.0.0.1:5080 unless --urls, ASPNETCORE_URLS or Urls says otherwise (a Urls key in appsettings.json would
        // override ASPNETCORE_URLS, so the default is applied here instead).
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]) && string.IsNullOrEmpty(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Nothing Gatehouse accepts is large: refuse big bodies before they are buffered (413).
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize;
        });

        AddValidatedOptions<TokenOptions>(services, configuration, TokenOptions.Section, o => o.Validate());
        AddValidatedOptions<KeyOptions>(services, configuration, KeyOptions.Section, o => o.Validate());
        AddValidatedOptions<PasswordOptions>(services, configuration, PasswordOptions.Section, o => o.Validate());
        AddValidatedOptions<ThrottleOptions>(services, configuration, ThrottleOptions.Section, o => o.Validate());
        AddValidatedOptions<FrontendOptions>(services, configuration, FrontendOptions.Section, o => o.Validate());
        AddValidatedOptions<AdminOptions>(services, configuration, AdminOptions.Section, o => o.Validate());
        AddValidatedOptions<RateLimitOptions>(services, configuration, RateLimitOptions.Section, o => o.Validate());
        AddValidatedOptions<Core.Social.SocialAccountOptions>(services, configuration, Core.Social.SocialAccountOptions.Section, o => o.Validate());
        AddValidatedOptions<Social.SocialFlowOptions>(services, configuration, Core.Social.SocialAccountOptions.Section, o => o.Validate());

        // A DefaultReturnTo the flow would refuse as a returnTo was ignored in silence, for the first frontend origin:
        // "javascript:x", another site, a path (which Uri reads as an absolute file URL on Linux) all passed the start.
        services.AddSingleton<IValidateOptions<Social.SocialFlowOptions>>(sp =>
            new OptionsValidator<Social.SocialFlowOptions>(o => DefaultReturnToErrors(o, sp.GetRequiredService<IOptions<FrontendOptions>>().Value)));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => MasterKeyLoader.Load(sp.GetRequiredService<IOptions<KeyOptions>>().Value, builder.Environment.ContentRootPath));
        services.AddSingleton<GatehouseMetrics>();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<RefreshTokenCodec>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<PasswordPolicy>();
        services.TryAddSingleton<IPasswordHasher, Argon2idPasswordHasher>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<Core.Social.SocialAccountService>();
        services.AddSingleton<Social.SocialFlow>();
        services.AddSingleton<Endpoints.Social.RedirectTargets>();
        Social.Providers.SocialProviderServiceCollectionExtensions.AddGatehouseSocialProviders(services, configuration);
        var environment = builder.Environment;
        services.AddSingleton<IValidateOptions<Social.SocialOptions>>(new OptionsValidator<Social.SocialOptions>(o => DevelopmentProviderOutsideDevelopment(o, environment)));
        services.AddSingleton<Endpoints.Auth.RefreshTokenTransport>();
        services.AddSingleton<Endpoints.Auth.OriginCheck>();
        services.AddHostedService<SigningKeyMaintenance>();

        // Prometheus text at /metrics: Gatehouse's counters (gatehouse_*_total) and ASP.NET Core's request metrics; with
        // Gatehouse:Metrics:Runtime, also the runtime's own (dotnet_*: GC collections and pause time, heap sizes, thread
        // pool queue, lock contention). Those are off by default: with them on, the peak RSS under an embedded refresh load
        // rose from about 190 to 205 MB, its full collections coming later (docs/deployment.md).
        var runtimeMetrics = configuration.GetValue<bool>(RuntimeMetricsKey);
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(GatehouseMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel").AddPrometheusExporter();
            if (runtimeMetrics)
            {
                metrics.AddMeter("System.Runtime");
            }
        });
        services.AddGatehouseStorage(configuration);
        Outbox.OutboxServiceCollectionExtensions.AddGatehouseOutbox(services, configuration);
        AddValidatedOptions<FaultPointOptions>(services, configuration, FaultPointOptions.Section, o => o.Validate(environment.IsEnvironment("Testing")));

        ProblemJsonForAnyAccept.AddProblemDetails(services, o => o.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("error", Problems.ErrorFor(status));
            context.ProblemDetails.Extensions.Remove("traceId");
        });
        services.AddExceptionHandler<ErrorHandling>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);

        AddAuthentication(services);
        SkipDataProtectionKeyRingAtStart(services);
        AddRateLimiting(services);
        services.AddCors(o => o.AddPolicy(FrontendCors, policy => policy.AllowCredentials().AllowAnyHeader().WithMethods("GET", "POST", "PATCH", "DELETE").SetPreflightMaxAge(TimeSpan.FromHours(1))));
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<FrontendOptions>>((cors, frontend) =>
        {
            var policy = cors.GetPolicy(FrontendCors)!;
            foreach (var origin in frontend.Value.Origins)
            {
                policy.Origins.Add(origin);
            }
        });
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Gatehouse";
            document.Info.Description = "Authentication for products whose frontend and backend are separate.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    // AddAuthentication registers ASP.NET Core Data Protection, which nothing of Gatehouse's uses (docs/deployment.md).
    // Its hosted service would still read, or create and write, an XML key ring at every start: time and about 3 MB
    // for nothing. Without it the key ring would load on first use, and there is none.
    private static void SkipDataProtectionKeyRingAtStart(IServiceCollection services)
    {
        var keyRingAtStart = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService");
        if (keyRingAtStart is not null)
        {
            services.Remove(keyRingAtStart);
        }
    }

    private static void AddAuthentication(IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, AdminKeyAuthenticationHandler>(AdminKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyRing, IOptions<TokenOptions>, TimeProvider>((jwt, keys, tokens, time) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = AccessTokenValidation.CreateParameters(keys, tokens.Value, time);
                jwt.Events = new JwtBearerEvents
                {
                    // RFC 6750 §3: a 401 names the scheme (and, when a token was presented, why it failed);
                    // the body is problem details like every other error.
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        var presented = context.AuthenticateFailure is not null;
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
                        var failure = presented
                            ? new Failure(OAuthErrors.InvalidToken, "The access token is missing, expired or not valid.")
                            : new Failure(GatehouseErrors.Unauthorized, "An access token is required.");
                        await Problems.From(failure).ExecuteAsync(context.HttpContext);
                    },
                    OnForbidden = context => Problems.From(GatehouseErrors.Forbidden, "This credential may not do that.").ExecuteAsync(context.HttpContext),
                };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(MemberPolicy, p => p.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().RequireClaim("sub").RequireClaim("sid"))
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName, JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().RequireRole(AdminKeyAuthenticationHandler.Role));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
    }

    private static void AddRateLimiting(IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(CredentialLimiter, context => PerAddress(context, o => (o.CredentialRequestsPerSecond, o.CredentialBurst)));
            limiter.AddPolicy(ProviderNotificationLimiter, context => PerAddress(context, o => (o.ProviderNotificationRequestsPerSecond, o.ProviderNotificationBurst)));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                await Problems.From(new Failure(GatehouseErrors.RateLimited, "Too many requests from this address. Slow down.") { RetryAfter = retryAfter }, context.HttpContext).ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>A token bucket per client address (each policy has buckets of its own).</summary>
    private static RateLimitPartition<string> PerAddress(HttpContext context, Func<RateLimitOptions, (int PerSecond, int Burst)> rate)
    {
        var (perSecond, burst) = rate(context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue);
        return RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        });
    }

    private static void AddValidatedOptions<T>(IServiceCollection services, ConfigurationManager configuration, string section, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new OptionsValidator<T>(validate));
    }

    /// <summary>The default landing of the redirect flow must be a target it would accept: an http(s) URL on a frontend origin.</summary>
    private static IEnumerable<string> DefaultReturnToErrors(Social.SocialFlowOptions flow, FrontendOptions frontend)
    {
        if (flow.DefaultReturnTo is { } target && !Endpoints.Social.RedirectTargets.IsAllowed(target, frontend))
        {
            yield return $"Gatehouse:Social:DefaultReturnTo must be an http(s) URL on one of Gatehouse:Frontend:Origins (was '{target}').";
        }
    }

    /// <summary>The development provider lets anyone say who they are: it may only be enabled in Development (and tests).</summary>
    private static IEnumerable<string> DevelopmentProviderOutsideDevelopment(Social.SocialOptions options, IWebHostEnvironment environment)
    {
        if (environment.IsDevelopment() || environment.IsEnvironment("Testing"))
        {
            yield break;
        }

        foreach (var (name, provider) in options.Providers)
        {
            if (provider.Enabled && Social.Providers.ProviderKinds.Resolve(provider.Kind, name) == Social.Providers.ProviderKinds.Development)
            {
                yield return $"Gatehouse:Social:Providers:{name} is the development provider, which signs in whoever the visitor claims to be: it is refused outside the Development environment.";
            }
        }
    }
}
