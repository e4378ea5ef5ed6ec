namespace Gatehouse.Server.Storage;

/// <summary>Where refresh sessions live. Section <c>Gatehouse:Sessions</c>.</summary>
public sealed class SessionStoreOptions
{
    public const string Section = "Gatehouse:Sessions";
    public const string Database = "database";
    public const string Redis = "redis";

    /// <summary>
    /// <c>database</c> (the default: the same database as members) or <c>redis</c> (<c>ConnectionStrings:Redis</c>
    /// required; login throttling then moves to Redis too, so every instance counts the same failures).
    /// </summary>
    public string Store { get; set; } = Database;

    public bool UsesRedis => string.Equals(Store, Redis, StringComparison.OrdinalIgnoreCase);

    public IEnumerable<string> Validate()
    {
        if (!UsesRedis && !string.Equals(Store, Database, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{Section}:Store must be '{Database}' or '{Redis}' (was '{Store}').";
        }
    }
}
