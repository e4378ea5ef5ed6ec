using Gatehouse.Core.Sessions;

namespace Gatehouse.Core.Social;

/// <summary>How a social login ended: a session (for a new or an existing member), or a sign-up still to complete.</summary>
public sealed record SocialSignIn
{
    private SocialSignIn()
    {
    }

    /// <summary>The session, when the member exists now; null when <see cref="SignupToken"/> is set.</summary>
    public TokenGrant? Grant { get; private init; }

    /// <summary>True when this login created the member.</summary>
    public bool Created { get; private init; }

    /// <summary>Single use, for <c>POST /auth/signup</c>; set when required fields are missing.</summary>
    public string? SignupToken { get; private init; }

    public ExternalProfile? Profile { get; private init; }

    public IReadOnlyList<string> Missing { get; private init; } = [];

    public static SocialSignIn Session(TokenGrant grant, bool created) => new() { Grant = grant, Created = created };

    public static SocialSignIn SignupRequired(string signupToken, ExternalProfile profile, IReadOnlyList<string> missing) =>
        new() { SignupToken = signupToken, Profile = profile, Missing = missing };
}
