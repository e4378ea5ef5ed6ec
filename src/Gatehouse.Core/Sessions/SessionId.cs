using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Core.Sessions;

/// <summary>
/// A refresh session (a token family, seed 004): created at login, named in every access token as <c>sid</c>,
/// and revoked as a whole when one of its old refresh tokens is replayed.
/// </summary>
public readonly record struct SessionId(string Value)
{
    public static SessionId New() => new(Base64Id.New());

    public static bool TryParse([NotNullWhen(true)] string? value, out SessionId id)
    {
        id = default;
        if (!Base64Id.IsWellFormed(value))
        {
            return false;
        }

        id = new SessionId(value!);
        return true;
    }

    public override string ToString() => Value;
}
