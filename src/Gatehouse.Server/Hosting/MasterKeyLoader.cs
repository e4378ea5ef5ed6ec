using Gatehouse.Core.Keys;

namespace Gatehouse.Server.Hosting;

/// <summary>Loads the master key from configuration, or from (and on first start into) <see cref="KeyOptions.MasterKeyPath"/>.</summary>
internal static class MasterKeyLoader
{
    public static MasterKey Load(KeyOptions options, string contentRoot)
    {
        if (!string.IsNullOrEmpty(options.MasterKey))
        {
            return new MasterKey(Convert.FromBase64String(options.MasterKey));
        }

        var path = Path.GetFullPath(options.MasterKeyPath, contentRoot);
        if (File.Exists(path))
        {
            var bytes = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return bytes.Length == MasterKey.Length
                ? new MasterKey(bytes)
                : throw new InvalidOperationException($"The master key file '{path}' ({KeyOptions.Section}:MasterKeyPath) does not hold 32 bytes of base64.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.Length);
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        // Two processes starting at once on the same data folder must end up with one key: the first rename wins.
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return Load(options, contentRoot);
        }

        return new MasterKey(key);
    }
}
