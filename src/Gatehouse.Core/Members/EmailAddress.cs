using System.Net.Mail;

namespace Gatehouse.Core.Members;

public static class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>Trims and lower-cases; the local part is kept otherwise as typed (no dot or plus folding).</summary>
    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    public static bool IsValid(string? email)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > MaxLength)
        {
            return false;
        }

        var trimmed = email.Trim();
        if (trimmed.Any(char.IsControl))
        {
            return false;
        }

        return MailAddress.TryCreate(trimmed, out var parsed)
            && parsed.Address == trimmed
            && parsed.Host.Contains('.', StringComparison.Ordinal);
    }
}
