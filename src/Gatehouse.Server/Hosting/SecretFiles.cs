namespace Gatehouse.Server.Hosting;

/// <summary>
/// Container convention: any setting <c>X</c> may be given as <c>X_FILE</c>, the path of a file that holds it
/// (<c>Gatehouse__Admin__ApiKey_FILE=/run/secrets/admin-key</c>). The file wins over an inline value.
/// Only Gatehouse's own sections are read this way: the environment holds other programs' <c>*_FILE</c> variables.
/// </summary>
internal static class SecretFiles
{
    public const string Suffix = "_FILE";
    private static readonly string[] Sections = ["Gatehouse:", "ConnectionStrings:"];

    public static void AddSecretFiles(this IConfigurationManager configuration)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, path) in configuration.AsEnumerable())
        {
            if (!key.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(path)
                || !Sections.Any(section => key.StartsWith(section, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            try
            {
                // Secret files conventionally end with a newline that is not part of the secret.
                overrides[key[..^Suffix.Length]] = File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"Configuration key '{key}' names the file '{path}', which cannot be read: {e.Message}", e);
            }
        }

        if (overrides.Count > 0)
        {
            configuration.AddInMemoryCollection(overrides);
        }
    }
}
