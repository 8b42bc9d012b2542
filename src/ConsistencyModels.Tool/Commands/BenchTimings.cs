namespace ConsistencyModels.Tool.Commands;

/// <summary>Summary statistics of timed frames: median, 95th percentile and mean, in milliseconds.</summary>
/// <param name="Median">Median.</param>
/// <param name="P95">95th percentile (nearest rank).</param>
/// <param name="Mean">Mean.</param>
internal sealed record BenchTimings(double Median, double P95, double Mean)
{
    /// <summary>The statistics of <paramref name="milliseconds"/> (at least one value).</summary>
    public static BenchTimings Of(IReadOnlyList<double> milliseconds)
    {
        if (milliseconds.Count == 0) throw new ArgumentException("no timings", nameof(milliseconds));
        var sorted = milliseconds.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        // Nearest-rank percentile: the smallest value with at least 95 % of the values at or below it.
        double p95 = sorted[Math.Max(0, (int)Math.Ceiling(0.95 * n) - 1)];
        return new BenchTimings(median, p95, sorted.Average());
    }
}
