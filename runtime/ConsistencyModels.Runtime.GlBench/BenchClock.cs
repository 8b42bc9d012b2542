using System.Diagnostics;

namespace ConsistencyModels.Runtime.GlBench;

/// <summary>The timing rules the benchmarks share: frames per second over a time slice, medians of rounds, the load.</summary>
public static class BenchClock
{
    /// <summary>Frames per second of <paramref name="frame"/> over at least <paramref name="seconds"/> and two frames.</summary>
    public static double Rate(Action frame, double seconds)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || n < 2) { frame(); n++; }
        return n / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The median (upper middle for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>/proc/loadavg, or "n/a" where there is none.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
