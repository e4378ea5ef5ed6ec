using Gatehouse.AspNetCore.Discovery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.AspNetCore;

/// <summary>Registers the <see cref="GatehouseDefaults.AuthenticationScheme"/> bearer scheme.</summary>
public static class GatehouseAuthenticationExtensions
{
    /// <summary>
    /// Adds authentication with Gatehouse access tokens as the default scheme. A request with a valid
    /// <c>Authorization: Bearer</c> token gets a principal whose <c>sub</c> and <c>sid</c> are the token's;
    /// a presented but bad token gets a 401 with <c>WWW-Authenticate: Bearer error="invalid_token"</c> (RFC 6750 §3).
    /// </summary>
    public static AuthenticationBuilder AddGatehouse(this IServiceCollection services, string authority, Action<GatehouseAuthenticationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddAuthentication(GatehouseDefaults.AuthenticationScheme).AddGatehouse(authority, configure);
    }

    /// <summary>Adds the Gatehouse scheme (a JwtBearer scheme validating through <see cref="GatehouseTokenValidator"/>) without making it the default.</summary>
    public static AuthenticationBuilder AddGatehouse(this AuthenticationBuilder builder, string authority, Action<GatehouseAuthenticationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(authority);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatehouseAuthenticationOptions>()
            .Configure(options =>
            {
                options.Authority = authority;
                configure?.Invoke(options);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatehouseAuthenticationOptions>, GatehouseAuthenticationOptionsValidation>());
        services.TryAddSingleton<IssuerMetadataCache>();
        services.TryAddSingleton(provider => new GatehouseTokenValidator(
            provider.GetRequiredService<IOptions<GatehouseAuthenticationOptions>>(),
            provider.GetRequiredService<IssuerMetadataCache>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<GatehouseTokenValidator>>()));
        builder.AddJwtBearer(GatehouseDefaults.AuthenticationScheme, displayName: "Gatehouse", _ => { });

        // After AddJwtBearer, so it runs after JwtBearer's binding of Authentication:Schemes:Gatehouse and wins.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JwtBearerOptions>, GatehouseJwtBearerSetup>());
        return builder;
    }
}
