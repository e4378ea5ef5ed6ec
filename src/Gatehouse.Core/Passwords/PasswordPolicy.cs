using Gatehouse.Core.Errors;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Passwords;

/// <summary>
/// What a new password must satisfy, after NIST SP 800-63B §5.1.1.2: a minimum and a maximum length, not the account's
/// own email address, and not a commonly used password. No composition rules (digits, symbols): they make passwords
/// harder to remember without making them harder to guess.
/// </summary>
public sealed class PasswordPolicy
{
    private const string Field = "password";
    private readonly PasswordOptions _options;

    public PasswordPolicy(IOptions<PasswordOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Null when <paramref name="password"/> is acceptable for the account <paramref name="email"/>; otherwise why not.</summary>
    public Failure? Validate(string? password, string? email)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Failure.Validation(Field, "Enter a password.");
        }

        // SP 800-63B counts each Unicode code point as one character: "pässwörd" is 8 characters however it is encoded,
        // and a password of emoji is not refused for being 2 UTF-16 units per symbol.
        var length = CountScalarValues(password);
        if (length < _options.MinLength)
        {
            return Failure.Validation(Field, $"Use at least {_options.MinLength} characters.");
        }

        if (length > _options.MaxLength)
        {
            return Failure.Validation(Field, $"Use at most {_options.MaxLength} characters.");
        }

        if (IsEmailOrLocalPart(password, email))
        {
            return Failure.Validation(Field, "The password must not be the email address.");
        }

        if (_options.RejectCommonPasswords && CommonPasswords.Contains(password))
        {
            return Failure.Validation(Field, "This password is one of the most commonly used; choose another.");
        }

        return null;
    }

    private static int CountScalarValues(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static bool IsEmailOrLocalPart(string password, string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return false;
        }

        var address = email.AsSpan().Trim();
        if (password.AsSpan().Equals(address, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var at = address.LastIndexOf('@');
        return at > 0 && password.AsSpan().Equals(address[..at], StringComparison.OrdinalIgnoreCase);
    }
}
