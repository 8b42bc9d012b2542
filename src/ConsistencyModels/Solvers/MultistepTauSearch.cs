using ConsistencyModels.Schedules;

namespace ConsistencyModels.Solvers;

/// <summary>
/// Chooses the intermediate τ of 2-step consistency sampling by a ternary search over Karras-grid indices
/// minimizing a metric (lower is better, e.g. FID or SWD), as the reference consistency_models code did
/// (for CD with N = 40 on ImageNet 64 it found index 22, i.e. τ = σ_22). Assumes the metric is unimodal
/// in the index; every metric value is cached, so each index is evaluated at most once. Like the reference
/// (scripts/ternary_search.py, "determ" generator), the metric should draw the same noise for every τ so that
/// differences come from τ, not from sampling noise.
/// </summary>
public static class MultistepTauSearch
{
    /// <summary>The result: best grid index, its τ, its metric value and how many metric calls were made.</summary>
    /// <param name="Index">Grid index i (0 = σmax).</param>
    /// <param name="Tau">τ = σ_i.</param>
    /// <param name="Metric">metric(τ).</param>
    /// <param name="Evaluations">Number of distinct metric evaluations.</param>
    public readonly record struct Result(int Index, double Tau, double Metric, int Evaluations);

    /// <summary>Integer ternary search for argmin of <paramref name="metric"/> on [lo, hi] (inclusive).</summary>
    public static (int Index, double Value, int Evaluations) TernarySearch(Func<int, double> metric, int lo, int hi)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (lo > hi)
            throw new ArgumentException($"the search interval must be non-empty, got [{lo}, {hi}].", nameof(lo));
        var cache = new Dictionary<int, double>();
        double M(int i)
        {
            if (!cache.TryGetValue(i, out double v))
            {
                v = metric(i);
                if (double.IsNaN(v)) throw new ArgumentException($"metric returned NaN at index {i}.", nameof(metric));
                cache[i] = v;
            }
            return v;
        }
        while (hi - lo > 2)
        {
            int m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
            if (M(m1) <= M(m2)) hi = m2 - (M(m1) < M(m2) ? 1 : 0); else lo = m1 + 1;
        }
        int best = lo;
        for (int i = lo; i <= hi; i++) if (M(i) < M(best)) best = i;
        return (best, M(best), cache.Count);
    }

    /// <summary>
    /// Searches τ = σ_i over the interior indices i ∈ [1, N−2] of the N-point Karras grid for 2-step sampling
    /// (the first step is always at σ_0 = σmax, the end at σ_{N−1} = ε).
    /// </summary>
    /// <param name="metric">Metric of 2-step samples with intermediate τ (lower is better).</param>
    /// <param name="n">Grid size N ≥ 3.</param>
    /// <param name="sigmaMin">σmin = ε.</param>
    /// <param name="sigmaMax">σmax.</param>
    /// <param name="rho">ρ.</param>
    public static Result FindTwoStepTau(Func<double, double> metric, int n, double sigmaMin = KarrasSchedule.DefaultSigmaMin,
        double sigmaMax = KarrasSchedule.DefaultSigmaMax, double rho = KarrasSchedule.DefaultRho)
    {
        ArgumentNullException.ThrowIfNull(metric);
        Guard.AtLeast(n, 3, nameof(n));
        var grid = KarrasSchedule.Sigmas(n, sigmaMin, sigmaMax, rho, appendZero: false);
        var (index, value, evals) = TernarySearch(i => metric(grid[i]), 1, n - 2);
        return new Result(index, grid[index], value, evals);
    }
}
