namespace Gatehouse.Core.Social;

/// <summary>The sign-up rules of social login, from <c>Gatehouse:Social</c>.</summary>
public sealed class SocialAccountOptions
{
    public const string Section = "Gatehouse:Social";
    public const string EmailField = "email";
    public const string NicknameField = "nickname";

    /// <summary>
    /// Fields a new member must have before the account is created (<c>email</c>, <c>nickname</c>). When the provider
    /// shares them all, sign-up happens in the login call; otherwise the login answers <c>signup_required</c>.
    /// </summary>
    public IList<string> RequiredFields { get; } = [];

    /// <summary>
    /// Off by default. When on, a first login whose provider vouches for the email (verified) joins the existing member
    /// with that email instead of creating one. Turn it on only if every enabled provider verifies emails it calls verified.
    /// </summary>
    public bool LinkByVerifiedEmail { get; set; }

    /// <summary>How long a pending sign-up's token lives (single use).</summary>
    public TimeSpan SignupTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < RequiredFields.Count; i++)
        {
            if (RequiredFields[i] is not (EmailField or NicknameField))
            {
                yield return $"{Section}:RequiredFields:{i} must be \"{EmailField}\" or \"{NicknameField}\".";
            }
        }

        if (SignupTokenLifetime < TimeSpan.FromMinutes(1) || SignupTokenLifetime > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:SignupTokenLifetime must be between 00:01:00 and 01:00:00.";
        }
    }

    public bool Requires(string field) => RequiredFields.Contains(field, StringComparer.OrdinalIgnoreCase);
}
