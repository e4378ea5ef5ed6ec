using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Bench.Social;

/// <summary>
/// The CPU time (user + system) other processes used, from <c>/proc/&lt;pid&gt;/stat</c>: the server, Redis, and
/// PostgreSQL with its backends (the postmaster's children, one per pooled connection), plus this process. Read
/// before and after a measured window, so each figure is that process's CPU per operation in the window.
/// </summary>
internal sealed class CpuMeter
{
    private readonly List<(string Name, int Pid, bool WithChildren)> _processes = [];
    private readonly double _ticksPerSecond;

    /// <param name="spec"><c>name=pid</c> pairs, comma-separated; <c>name=pid+</c> adds the process's direct children.</param>
    public CpuMeter(string? spec, double ticksPerSecond)
    {
        _ticksPerSecond = ticksPerSecond;
        foreach (var part in (spec ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = part.Split('=', 2) is [var n, var v] ? (n, v) : throw new ArgumentException($"--cpu: '{part}' is not name=pid.");
            var children = value.EndsWith('+');
            _processes.Add((name, int.Parse(children ? value[..^1] : value, CultureInfo.InvariantCulture), children));
        }
    }

    public IEnumerable<string> Names => _processes.Select(p => p.Name).Append("bench");

    /// <summary>Milliseconds of CPU so far, by name; "bench" is this process (the provider fake and the client).</summary>
    public Dictionary<string, double> Snapshot()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        Dictionary<int, List<int>>? children = null;
        foreach (var (name, pid, withChildren) in _processes)
        {
            var ms = ProcessMs(pid);
            if (withChildren)
            {
                children ??= ChildrenByParent();
                ms += children.TryGetValue(pid, out var kids) ? kids.Sum(ProcessMs) : 0;
            }

            result[name] = ms;
        }

        result["bench"] = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        return result;
    }

    private double ProcessMs(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? 0 : (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 1000 / _ticksPerSecond;
    }

    /// <summary>The fields after the command name: [0] state, [1] ppid, … [11] utime, [12] stime.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Dictionary<int, List<int>> ChildrenByParent()
    {
        var map = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || StatFields(pid) is not { } fields)
            {
                continue;
            }

            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (!map.TryGetValue(parent, out var list))
            {
                map[parent] = list = [];
            }

            list.Add(pid);
        }

        return map;
    }
}
