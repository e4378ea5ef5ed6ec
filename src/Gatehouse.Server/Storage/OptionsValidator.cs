using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Storage;

/// <summary>Runs an options class's own <c>Validate()</c>, so start-up fails with messages that name the keys.</summary>
internal sealed class OptionsValidator<TOptions>(Func<TOptions, IEnumerable<string>> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = validate(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
