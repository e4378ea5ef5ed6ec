namespace Gatehouse.Core.Errors;

/// <summary>What an expected failure looks like: a stable code, a sentence for humans, and hints for the HTTP layer.</summary>
/// <param name="Error">A code from <see cref="OAuthErrors"/> or <see cref="GatehouseErrors"/>.</param>
/// <param name="Description">Safe to show to the caller: never a token, a password, or whether an account exists.</param>
public sealed record Failure(string Error, string Description)
{
    /// <summary>Per-field messages for <see cref="GatehouseErrors.ValidationFailed"/>.</summary>
    public IReadOnlyDictionary<string, string[]>? Fields { get; init; }

    /// <summary>When the caller may try again (throttling, an unavailable store).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A social provider's own error code, when the failure came from it (carried as <c>providerError</c>).</summary>
    public string? ProviderError { get; init; }

    public static Failure Validation(string field, string message) =>
        new(GatehouseErrors.ValidationFailed, message) { Fields = new Dictionary<string, string[]> { [field] = [message] } };
}
