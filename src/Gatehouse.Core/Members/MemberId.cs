using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Core.Members;

/// <summary>
/// The public, meaningless identity of a member: the access token's <c>sub</c>. It is random, so it reveals
/// neither the database sequence nor the member count nor any personal data (seed 001, option 6).
/// </summary>
public readonly record struct MemberId(string Value)
{
    public static MemberId New() => new(Base64Id.New());

    public static bool TryParse([NotNullWhen(true)] string? value, out MemberId id)
    {
        id = default;
        if (!Base64Id.IsWellFormed(value))
        {
            return false;
        }

        id = new MemberId(value!);
        return true;
    }

    public override string ToString() => Value;
}
