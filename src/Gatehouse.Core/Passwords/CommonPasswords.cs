using System.Collections.Frozen;

namespace Gatehouse.Core.Passwords;

/// <summary>
/// The most common passwords that a length rule alone lets through (see the header of <c>common-passwords.txt</c> for
/// where they come from). Read from the assembly once, on first use, so a host that never validates a password pays nothing.
/// </summary>
internal static class CommonPasswords
{
    internal const string ResourceName = "Gatehouse.Core.Passwords.common-passwords.txt";

    private static readonly Lazy<FrozenSet<string>> List = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static int Count => List.Value.Count;

    /// <summary>Whether <paramref name="password"/>, lower-cased, is on the list.</summary>
    public static bool Contains(string password) => List.Value.Contains(password.ToLowerInvariant());

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(CommonPasswords).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        var passwords = new List<string>(capacity: 10_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                passwords.Add(line);
            }
        }

        return passwords.ToFrozenSet(StringComparer.Ordinal);
    }
}
