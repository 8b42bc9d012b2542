namespace ConsistencyModels.Schedules;

/// <summary>
/// The Karras et al. (2022, Eq. 5) noise grid σ_i = (σmax^{1/ρ} + i/(N−1)·(σmin^{1/ρ} − σmax^{1/ρ}))^ρ,
/// i = 0..N−1 (decreasing from σmax to σmin), optionally followed by σ_N = 0.
/// </summary>
public static class KarrasSchedule
{
    /// <summary>Default σ_min = ε = 0.002.</summary>
    public const double DefaultSigmaMin = 0.002;

    /// <summary>Default σ_max = 80.</summary>
    public const double DefaultSigmaMax = 80.0;

    /// <summary>Default ρ = 7.</summary>
    public const double DefaultRho = 7.0;

    /// <summary>The grid σ_0 = σmax &gt; … &gt; σ_{N−1} = σmin, then 0 if <paramref name="appendZero"/> (N+1 values).</summary>
    /// <param name="n">Number of nonzero grid points N ≥ 2.</param>
    /// <param name="sigmaMin">σ_min &gt; 0.</param>
    /// <param name="sigmaMax">σ_max &gt; σ_min.</param>
    /// <param name="rho">ρ &gt; 0.</param>
    /// <param name="appendZero">Append σ_N = 0 (the sampler's final step to the data).</param>
    public static double[] Sigmas(int n, double sigmaMin = DefaultSigmaMin, double sigmaMax = DefaultSigmaMax,
        double rho = DefaultRho, bool appendZero = true)
    {
        Validate(n, sigmaMin, sigmaMax, rho);
        var s = new double[appendZero ? n + 1 : n];
        for (int i = 0; i < n; i++) s[i] = SigmaUnchecked(i, n, sigmaMin, sigmaMax, rho);
        // Pin the ends exactly (the power round trip is off by an ulp or so).
        s[0] = sigmaMax;
        s[n - 1] = sigmaMin;
        return s;
    }

    /// <summary>The single grid value σ_i, i ∈ [0, N−1] (i = 0 is σmax).</summary>
    public static double Sigma(int i, int n, double sigmaMin = DefaultSigmaMin, double sigmaMax = DefaultSigmaMax,
        double rho = DefaultRho)
    {
        Validate(n, sigmaMin, sigmaMax, rho);
        if (i < 0 || i >= n)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"grid index i must be in [0, {n - 1}], got {i}.");
        if (i == 0) return sigmaMax;
        if (i == n - 1) return sigmaMin;
        return SigmaUnchecked(i, n, sigmaMin, sigmaMax, rho);
    }

    private static double SigmaUnchecked(int i, int n, double sigmaMin, double sigmaMax, double rho)
    {
        double a = Math.Pow(sigmaMax, 1.0 / rho), b = Math.Pow(sigmaMin, 1.0 / rho);
        return Math.Pow(a + (double)i / (n - 1) * (b - a), rho);
    }

    private static void Validate(int n, double sigmaMin, double sigmaMax, double rho)
    {
        if (n < 2)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"the Karras grid needs N >= 2 points (σmax and σmin), got N = {n}.");
        Guard.Positive(sigmaMin, nameof(sigmaMin));
        Guard.Positive(rho, nameof(rho));
        if (!(sigmaMax > sigmaMin) || double.IsInfinity(sigmaMax))
            throw new ArgumentOutOfRangeException(nameof(sigmaMax), sigmaMax, $"sigmaMax must be finite and > sigmaMin = {sigmaMin}, got {sigmaMax}.");
    }
}
