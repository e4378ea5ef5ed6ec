using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.AspNetCore.Tokens;

/// <summary>
/// The one entry of <c>JwtBearerOptions.TokenHandlers</c> for the Gatehouse scheme. It hands the token to the
/// shared <see cref="GatehouseTokenValidator"/>, which holds the keys, the validation parameters and the
/// validated-token cache; the parameters JwtBearer passes in are not used.
/// </summary>
internal sealed class GatehouseTokenHandler(GatehouseTokenValidator validator) : TokenHandler
{
    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters) =>
        validator.ValidateAsync(token, CancellationToken.None).AsTask();
}
