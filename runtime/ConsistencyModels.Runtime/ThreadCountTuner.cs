namespace ConsistencyModels.Runtime;

/// <summary>
/// Picks the intra-op thread count per texture size by timing it. Small textures are dominated by per-op work too
/// short to split: on the 2-core test machine the default model's 64² forward measured 72–84 frames/s on 1 thread
/// and 48/s on 2, while from 256² up 2 threads win (docs/RESULTS.md). Which side of that line a size falls on
/// depends on the machine and its load, so the first frames of each new size try each candidate (1, 2, 4, … up to
/// the maximum): one untimed warm-up frame after each switch, then <see cref="TimedFrames"/> timed frames, and the
/// candidate with the lowest median time per evaluation is kept for that size. Allocates only when a size is seen
/// for the first time. Not thread-safe (one generator, one thread).
/// </summary>
public sealed class ThreadCountTuner
{
    private readonly int[] candidates;
    private readonly Dictionary<long, SizeState> sizes = new();

    /// <summary>A tuner choosing among 1, 2, 4, … and <paramref name="maxThreads"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxThreads"/> or <paramref name="timedFrames"/> &lt; 1.</exception>
    public ThreadCountTuner(int maxThreads, int timedFrames = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timedFrames, 1);
        var list = new List<int>();
        for (int n = 1; n < maxThreads; n *= 2) list.Add(n);
        list.Add(maxThreads);
        candidates = list.ToArray();
        TimedFrames = timedFrames;
    }

    /// <summary>The thread counts tried, ascending.</summary>
    public IReadOnlyList<int> Candidates => candidates;

    /// <summary>Timed frames per candidate (after one untimed warm-up frame).</summary>
    public int TimedFrames { get; }

    /// <summary>Frames a size spends being tuned: (1 + <see cref="TimedFrames"/>) per candidate; 0 with one candidate.</summary>
    public int TuningFrames => candidates.Length == 1 ? 0 : candidates.Length * (1 + TimedFrames);

    /// <summary>The thread count for the next frame of a <paramref name="width"/>×<paramref name="height"/> texture:
    /// the chosen one once tuned, else the candidate on trial.</summary>
    public int ThreadsFor(int width, int height)
    {
        if (candidates.Length == 1) return candidates[0];
        var state = State(width, height);
        return state.Chosen ?? candidates[state.Candidate];
    }

    /// <summary>The chosen thread count for a size, or null while it is still being tuned (or never seen).</summary>
    public int? Chosen(int width, int height) =>
        candidates.Length == 1 ? candidates[0] : sizes.TryGetValue(Key(width, height), out var s) ? s.Chosen : null;

    /// <summary>
    /// Reports how long one evaluation took on a frame generated with <paramref name="threads"/> threads (the value
    /// <see cref="ThreadsFor"/> gave). Ignored once the size is tuned or if <paramref name="threads"/> is not the
    /// candidate on trial (a frame generated under an explicit override).
    /// </summary>
    public void Report(int width, int height, int threads, double secondsPerEvaluation)
    {
        if (candidates.Length == 1) return;
        var s = State(width, height);
        if (s.Chosen is not null || threads != candidates[s.Candidate]) return;
        if (s.Frame > 0) s.Times[s.Candidate * TimedFrames + s.Frame - 1] = secondsPerEvaluation; // frame 0: warm-up
        if (++s.Frame <= TimedFrames) return;
        s.Frame = 0;
        if (++s.Candidate < candidates.Length) return;
        int best = 0;
        double bestMedian = double.PositiveInfinity;
        for (int c = 0; c < candidates.Length; c++)
        {
            double median = Median(s.Times.AsSpan(c * TimedFrames, TimedFrames));
            if (median < bestMedian) { bestMedian = median; best = c; }
        }
        s.Chosen = candidates[best];
    }

    /// <summary>Forgets every size's choice (e.g. after the machine's load changed): sizes are tuned again.</summary>
    public void Reset() => sizes.Clear();

    // Median of a few values without allocating (insertion sort in place on a scratch copy).
    internal static double Median(Span<double> values)
    {
        Span<double> sorted = stackalloc double[values.Length];
        values.CopyTo(sorted);
        for (int i = 1; i < sorted.Length; i++)
            for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
                (sorted[j - 1], sorted[j]) = (sorted[j], sorted[j - 1]);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static long Key(int width, int height) => ((long)width << 32) | (uint)height;

    private SizeState State(int width, int height)
    {
        long key = Key(width, height);
        if (!sizes.TryGetValue(key, out var state))
        {
            state = new SizeState(new double[candidates.Length * TimedFrames]);
            sizes[key] = state;
        }
        return state;
    }

    private sealed class SizeState(double[] times)
    {
        public double[] Times { get; } = times;
        public int Candidate { get; set; }
        public int Frame { get; set; }
        public int? Chosen { get; set; }
    }
}
