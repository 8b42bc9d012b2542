namespace TextureViewer;

/// <summary>
/// Resident memory of the viewer process sampled at fixed frame intervals (storage allocated up front), so a long
/// headless run shows whether memory stays flat once warmed up: stats.json gets the curve and the growth after
/// warm-up, the number a soak test checks.
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    /// <summary>Number of samples over a run (the interval follows from the frame count).</summary>
    public const int Samples = 200;
    private readonly int[] frames;
    private readonly double[] rssMegabytes;
    private readonly double[] managedMegabytes;
    private readonly ResidentMemory rss = new();

    /// <summary>A trace for a run of <paramref name="totalFrames"/> frames; the first <see cref="WarmupFrames"/> are warm-up.</summary>
    public MemoryTrace(int totalFrames)
    {
        Interval = Math.Max(1, totalFrames / Samples);
        var capacity = totalFrames / Interval + 2;
        frames = new int[capacity];
        rssMegabytes = new double[capacity];
        managedMegabytes = new double[capacity];
        WarmupFrames = Math.Min(totalFrames - 1, Math.Max(300, totalFrames / 20));
    }

    /// <summary>Frames between samples.</summary>
    public int Interval { get; }

    /// <summary>Frames before memory is expected to be flat (5 % of the run, at least 300).</summary>
    public int WarmupFrames { get; }

    /// <summary>Samples taken.</summary>
    public int Count { get; private set; }

    /// <summary>Samples at every <see cref="Interval"/>-th frame and at <paramref name="force"/>.</summary>
    public void Frame(int frame, bool force = false)
    {
        if ((frame % Interval != 0 && !force) || Count == frames.Length) return;
        frames[Count] = frame;
        rssMegabytes[Count] = rss.Read() / 1048576.0;
        managedMegabytes[Count] = GC.GetTotalMemory(false) / 1048576.0;
        Count++;
    }

    /// <summary>RSS at the first sample after warm-up and at the last sample (MB), and the change between them in percent.</summary>
    public (double AfterWarmup, double End, double GrowthPercent, double MaxDeviationPercent) Growth()
    {
        var first = Array.FindIndex(frames, 0, Count, f => f >= WarmupFrames);
        if (first < 0 || Count == 0) return (double.NaN, double.NaN, double.NaN, double.NaN);
        double start = rssMegabytes[first], end = rssMegabytes[Count - 1], deviation = 0;
        for (var i = first; i < Count; i++) deviation = Math.Max(deviation, Math.Abs(rssMegabytes[i] - start));
        return (start, end, 100 * (end - start) / start, 100 * deviation / start);
    }

    /// <summary>The JSON object for stats.json: warm-up, growth and the curve as [frame, rss MB, managed MB] rows.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var (afterWarmup, end, growth, deviation) = Growth();
        return new Dictionary<string, object?>
        {
            ["warmupFrames"] = WarmupFrames,
            ["rssAfterWarmupMB"] = Finite(afterWarmup, 2),
            ["rssEndMB"] = Finite(end, 2),
            ["growthAfterWarmupPercent"] = Finite(growth, 3),
            ["maxDeviationAfterWarmupPercent"] = Finite(deviation, 3),
            ["samples"] = Enumerable.Range(0, Count)
                .Select(i => new[] { frames[i], Math.Round(rssMegabytes[i], 2), Math.Round(managedMegabytes[i], 2) }).ToArray(),
        };
    }

    private static double? Finite(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : null;

    /// <summary>Closes the /proc handle.</summary>
    public void Dispose() => rss.Dispose();
}
