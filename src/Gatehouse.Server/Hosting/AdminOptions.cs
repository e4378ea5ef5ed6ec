namespace Gatehouse.Server.Hosting;

/// <summary><c>Gatehouse:Admin</c>: the credential for <c>/admin/*</c>, sent as <c>Authorization: AdminKey &lt;key&gt;</c>.</summary>
public sealed class AdminOptions
{
    public const string Section = "Gatehouse:Admin";

    /// <summary>At least 32 characters; <c>Gatehouse:Admin:ApiKey_FILE</c> works too. Without it the admin API answers 401 to everyone.</summary>
    public string? ApiKey { get; set; }

    public IEnumerable<string> Validate()
    {
        if (ApiKey is not null && ApiKey.Length < 32)
        {
            yield return $"{Section}:ApiKey must be at least 32 characters.";
        }
    }
}
