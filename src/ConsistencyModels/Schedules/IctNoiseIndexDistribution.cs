using static TorchSharp.torch;

namespace ConsistencyModels.Schedules;

/// <summary>
/// iCT's lognormal-shaped distribution over noise-grid intervals (Song &amp; Dhariwal 2023, Sec. 3.5):
/// p(i) ∝ erf((ln σ_{i+1} − P_mean)/(√2·P_std)) − erf((ln σ_i − P_mean)/(√2·P_std)),
/// over an INCREASING grid σ_0 &lt; σ_1 &lt; … &lt; σ_{N−1}; index i ∈ [0, N−2] stands for the pair (σ_i, σ_{i+1}).
/// </summary>
public sealed class IctNoiseIndexDistribution
{
    private readonly double[] _cdf;

    /// <summary>Builds p(i) for an increasing grid.</summary>
    /// <param name="increasingSigmas">σ_0 &lt; … &lt; σ_{N−1}, N ≥ 2, all &gt; 0.</param>
    /// <param name="pMean">P_mean (iCT: −1.1).</param>
    /// <param name="pStd">P_std (iCT: 2.0).</param>
    public IctNoiseIndexDistribution(IReadOnlyList<double> increasingSigmas, double pMean = -1.1, double pStd = 2.0)
    {
        ArgumentNullException.ThrowIfNull(increasingSigmas);
        if (increasingSigmas.Count < 2)
            throw new ArgumentException($"the noise grid needs N >= 2 points, got {increasingSigmas.Count}.", nameof(increasingSigmas));
        Guard.Positive(pStd, nameof(pStd));
        for (int i = 0; i < increasingSigmas.Count; i++)
        {
            if (!(increasingSigmas[i] > 0) || double.IsInfinity(increasingSigmas[i]))
                throw new ArgumentException($"every σ must be finite and > 0, got σ[{i}] = {increasingSigmas[i]}.", nameof(increasingSigmas));
            if (i > 0 && !(increasingSigmas[i] > increasingSigmas[i - 1]))
                throw new ArgumentException($"the grid must be strictly increasing, got σ[{i - 1}] = {increasingSigmas[i - 1]} and σ[{i}] = {increasingSigmas[i]}.", nameof(increasingSigmas));
        }
        var grid = increasingSigmas.ToArray();
        Sigmas = grid;
        PMean = pMean;
        PStd = pStd;
        var w = new double[grid.Length - 1];
        double total = 0;
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = SpecialFunctions.Erf((Math.Log(grid[i + 1]) - pMean) / (Math.Sqrt(2) * pStd))
                 - SpecialFunctions.Erf((Math.Log(grid[i]) - pMean) / (Math.Sqrt(2) * pStd));
            total += w[i];
        }
        if (!(total > 0))
            throw new ArgumentException("the grid has (numerically) zero probability mass under the lognormal; check P_mean/P_std.", nameof(increasingSigmas));
        Probabilities = w.Select(v => v / total).ToArray();
        _cdf = new double[w.Length];
        double c = 0;
        for (int i = 0; i < w.Length; i++) { c += Probabilities[i]; _cdf[i] = c; }
        _cdf[^1] = 1.0;
    }

    /// <summary>The iCT distribution over the Karras grid with N points, taken in increasing order.</summary>
    public static IctNoiseIndexDistribution ForKarras(int n, double sigmaMin = KarrasSchedule.DefaultSigmaMin,
        double sigmaMax = KarrasSchedule.DefaultSigmaMax, double rho = KarrasSchedule.DefaultRho,
        double pMean = -1.1, double pStd = 2.0)
    {
        var s = KarrasSchedule.Sigmas(n, sigmaMin, sigmaMax, rho, appendZero: false);
        Array.Reverse(s);
        return new IctNoiseIndexDistribution(s, pMean, pStd);
    }

    /// <summary>The increasing grid σ_0 &lt; … &lt; σ_{N−1}.</summary>
    public IReadOnlyList<double> Sigmas { get; }

    /// <summary>P_mean.</summary>
    public double PMean { get; }

    /// <summary>P_std.</summary>
    public double PStd { get; }

    /// <summary>p(i), i ∈ [0, N−2]; sums to 1.</summary>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>
    /// The noise pair of index i: (σ_i, σ_{i+1}) with σ_i &lt; σ_{i+1}. The loss noises x₀ to both levels and
    /// trains f(x_{σ_{i+1}}) toward stopgrad f(x_{σ_i}). In the decreasing Karras grid of N points these are
    /// entries N−1−i and N−2−i.
    /// </summary>
    public (double Lower, double Upper) Interval(int i)
    {
        if (i < 0 || i >= Probabilities.Count)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"interval index must be in [0, {Probabilities.Count - 1}], got {i}.");
        return (Sigmas[i], Sigmas[i + 1]);
    }

    /// <summary>Draws <paramref name="count"/> indices with <see cref="Random"/> (inverse CDF).</summary>
    public int[] Sample(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        Guard.AtLeast(count, 0, nameof(count));
        var r = new int[count];
        for (int j = 0; j < count; j++)
        {
            int i = Array.BinarySearch(_cdf, random.NextDouble());
            if (i < 0) i = ~i;
            r[j] = Math.Min(i, _cdf.Length - 1);
        }
        return r;
    }

    /// <summary>Draws <paramref name="count"/> indices as an int64 tensor [count] with torch's multinomial.</summary>
    public Tensor Sample(TorchSharp.torch.Generator? generator, int count)
    {
        Guard.AtLeast(count, 1, nameof(count));
        using var p = tensor(Probabilities.ToArray(), ScalarType.Float64);
        return p.multinomial(count, replacement: true, generator: generator);
    }
}
