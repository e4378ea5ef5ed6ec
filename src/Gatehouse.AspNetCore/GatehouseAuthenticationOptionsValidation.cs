using Microsoft.Extensions.Options;

namespace Gatehouse.AspNetCore;

/// <summary>Runs <see cref="GatehouseAuthenticationOptions.Validate"/> at start-up, so bad settings stop the host with their names.</summary>
internal sealed class GatehouseAuthenticationOptionsValidation : IValidateOptions<GatehouseAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, GatehouseAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetValidationErrors();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
