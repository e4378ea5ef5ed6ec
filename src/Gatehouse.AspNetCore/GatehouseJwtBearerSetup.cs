using Gatehouse.AspNetCore.Tokens;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Gatehouse.AspNetCore;

/// <summary>Points the Gatehouse JwtBearer scheme at <see cref="GatehouseTokenValidator"/>.</summary>
internal sealed class GatehouseJwtBearerSetup(GatehouseTokenValidator validator) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name != GatehouseDefaults.AuthenticationScheme)
        {
            return;
        }

        // sub stays sub, sid stays sid.
        options.MapInboundClaims = false;
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new GatehouseTokenHandler(validator));

        // The validator fetches discovery and keys itself; without an authority JwtBearer builds no
        // ConfigurationManager of its own (which would fetch the same documents on its own schedule).
        options.Authority = null;
        options.MetadataAddress = null!;
        options.Configuration = null;
        options.ConfigurationManager = null;
        options.RefreshOnIssuerKeyNotFound = false;
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);
}
