using System.Runtime.InteropServices;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// Process-wide memory settings applied before the host starts. On glibc, malloc gives each thread that finds the
/// others' arenas busy an arena of its own, up to eight per core, and memory freed into one is seldom returned:
/// under load the server's native allocations (SQLite page caches, OpenSSL, the JIT) spread over many arenas. Two
/// arenas hold the same work in about 6 MB less RSS (bench/RESULTS.md). <c>MALLOC_ARENA_MAX</c>, when the operator
/// sets it, wins.
/// </summary>
internal static partial class ProcessMemory
{
    private const int MallocArenaMaxParameter = -8; // M_ARENA_MAX in glibc's malloc.h
    private const int ArenaLimit = 2;

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return;
        }

        try
        {
            _ = MallOpt(MallocArenaMaxParameter, ArenaLimit);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one, has no libc.so.6): its allocator has no such setting.
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);
}
