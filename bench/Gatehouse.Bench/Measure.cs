using System.Diagnostics;

namespace Gatehouse.Bench;

/// <summary>Operations per second of one phase, and the window they were counted in.</summary>
/// <param name="GcPause">How long the GC paused the process during the measured window.</param>
internal sealed record Rate(string Name, int Threads, long Operations, TimeSpan Window, bool RanOut, TimeSpan GcPause, TimeSpan Elapsed)
{
    public double GcPausePercent => Elapsed > TimeSpan.Zero ? 100 * GcPause / Elapsed : 0;

    public double PerSecond => Window > TimeSpan.Zero ? Operations / Window.TotalSeconds : 0;

    public double PerThread => PerSecond / Threads;

    public double MicrosecondsPerOperation => PerThread > 0 ? 1_000_000 / PerThread : double.NaN;
}

/// <summary>
/// Runs an operation on dedicated threads for a fixed time after a warm-up, counting per thread. A worker whose
/// input runs out (the distinct tokens of a cold run) stops, and its own window ends there, so the rate stays
/// that of the work it did rather than being diluted by idle time.
/// </summary>
internal static class Measure
{
    // One counter per cache line (128 bytes covers adjacent-line prefetch), so threads do not share lines.
    private const int Stride = 16;

    /// <param name="createWorker">Called once per thread with its index and the thread count; the worker returns false when it has nothing left to do.</param>
    public static Rate Run(string name, int threads, TimeSpan warmup, TimeSpan duration, Func<int, int, Func<bool>> createWorker)
    {
        var workers = Enumerable.Range(0, threads).Select(i => createWorker(i, threads)).ToArray();
        var counts = new long[threads * Stride];
        var stoppedAtTicks = new long[threads * Stride];
        var stop = 0;
        var clock = Stopwatch.StartNew();
        using var start = new ManualResetEventSlim();

        var running = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            running[t] = new Thread(() =>
            {
                var work = workers[index];
                var slot = index * Stride;
                start.Wait();
                long done = 0;
                while (Volatile.Read(ref stop) == 0)
                {
                    if (!work())
                    {
                        Volatile.Write(ref stoppedAtTicks[slot], clock.ElapsedTicks);
                        break;
                    }

                    Volatile.Write(ref counts[slot], ++done);
                }
            })
            { IsBackground = true, Name = $"{name} #{index}" };
            running[t].Start();
        }

        start.Set();
        Thread.Sleep(warmup);
        var before = Snapshot(counts, threads);
        var pauseBefore = GC.GetTotalPauseDuration();
        var from = clock.ElapsedTicks;
        Thread.Sleep(duration);
        var after = Snapshot(counts, threads);
        var to = clock.ElapsedTicks;
        var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
        Volatile.Write(ref stop, 1);
        foreach (var thread in running)
        {
            thread.Join();
        }

        // Sum of per-thread rates, each over the part of the window that thread was working.
        double perSecond = 0;
        long operations = 0;
        var ranOut = false;
        for (var t = 0; t < threads; t++)
        {
            var stoppedAt = Volatile.Read(ref stoppedAtTicks[t * Stride]);
            var end = stoppedAt is > 0 && stoppedAt < to ? stoppedAt : to;
            ranOut |= stoppedAt is > 0 && stoppedAt < to;
            var seconds = (end - from) / (double)Stopwatch.Frequency;
            operations += after[t] - before[t];
            if (seconds > 0)
            {
                perSecond += (after[t] - before[t]) / seconds;
            }
        }

        // Expressed as operations over an equivalent window, so Rate.PerSecond gives the summed rate.
        var window = perSecond > 0 ? TimeSpan.FromSeconds(operations / perSecond) : TimeSpan.Zero;
        return new Rate(name, threads, operations, window, ranOut, gcPause, TimeSpan.FromSeconds((to - from) / (double)Stopwatch.Frequency));
    }

    private static long[] Snapshot(long[] counts, int threads)
    {
        var values = new long[threads];
        for (var t = 0; t < threads; t++)
        {
            values[t] = Volatile.Read(ref counts[t * Stride]);
        }

        return values;
    }
}
