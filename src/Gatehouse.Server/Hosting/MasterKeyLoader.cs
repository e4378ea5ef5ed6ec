using Gatehouse.Core.Keys;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// Loads the master key from configuration, or from (and on first start into) <see cref="KeyOptions.MasterKeyPath"/>.
/// A path that cannot be read or created, or a file that does not hold a key, is a <see cref="ConfigurationException"/>
/// naming the setting: the start ends with one line (exit code 2), and no message quotes the file's content.
/// </summary>
internal static class MasterKeyLoader
{
    private const string PathSetting = KeyOptions.Section + ":MasterKeyPath";

    public static MasterKey Load(KeyOptions options, string contentRoot)
    {
        if (!string.IsNullOrEmpty(options.MasterKey))
        {
            // KeyOptions.Validate has checked it is 32 bytes of base64.
            return new MasterKey(Convert.FromBase64String(options.MasterKey));
        }

        var path = Path.GetFullPath(options.MasterKeyPath, contentRoot);
        if (Directory.Exists(path))
        {
            throw new ConfigurationException($"{PathSetting} names '{path}', which is a folder; it must name a file in one (e.g. data/master.key).", null);
        }

        try
        {
            // A key another process wrote first (two starts at once on one data folder) is read like any other.
            return File.Exists(path) ? Read(path) : Create(path) ?? Read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{PathSetting} names '{path}', which cannot be {(File.Exists(path) ? "read" : "created")}: {e.Message}", e);
        }
    }

    private static MasterKey Read(string path)
    {
        Span<byte> bytes = stackalloc byte[MasterKey.Length];
        return Convert.TryFromBase64String(File.ReadAllText(path).Trim(), bytes, out var written) && written == MasterKey.Length
            ? new MasterKey(bytes)
            : throw new ConfigurationException($"The master key file '{path}' ({PathSetting}) does not hold {MasterKey.Length} bytes of base64.", null);
    }

    /// <summary>Writes a new key to <paramref name="path"/>; null when another process's key got there first.</summary>
    private static MasterKey? Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.Length);
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, fileOptions))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Convert.ToBase64String(key));
            }

            // Two processes starting at once on the same data folder must end up with one key: the first rename wins.
            File.Move(temp, path, overwrite: false);
            return new MasterKey(key);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
