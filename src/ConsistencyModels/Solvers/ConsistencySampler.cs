using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// Multistep consistency sampling (Song et al. 2023, Alg. 1): x ← f(x_T, σmax); then for each τ of a
/// decreasing list, re-noise to τ and map back: x ← f(x + √(τ² − ε²)·z, τ). NFE = 1 + number of τ.
/// The "denoiser" here is the consistency function f(x, σ), which maps any point of a trajectory to its
/// end at ε.
/// </summary>
public static class ConsistencySampler
{
    /// <summary>One re-noise + map step: f(x + √(τ² − ε²)·z, τ) with z ~ N(0, I) from <paramref name="generator"/>.</summary>
    public static Tensor Step(Denoiser consistencyFunction, Tensor x, double tau, double epsilon = 0.002, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(consistencyFunction);
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(epsilon, nameof(epsilon));
        if (!(tau > epsilon) || double.IsInfinity(tau))
            throw new ArgumentOutOfRangeException(nameof(tau), tau, $"tau must be finite and > epsilon = {epsilon}, got {tau}.");
        using var scope = NewDisposeScope();
        var z = randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
        var xTau = x.Plus(z.Times(Math.Sqrt(tau * tau - epsilon * epsilon)));
        return consistencyFunction(xTau, tau).MoveToOuterDisposeScope();
    }

    /// <summary>Runs Alg. 1: one evaluation at σmax, then one per τ.</summary>
    /// <param name="consistencyFunction">f(x, σ).</param>
    /// <param name="xT">Start state σmax·z.</param>
    /// <param name="taus">Decreasing intermediate noise levels, each in (ε, σmax); may be empty (1-step).</param>
    /// <param name="sigmaMax">σmax of the start state.</param>
    /// <param name="epsilon">ε = σmin, where f is the identity.</param>
    /// <param name="generator">Random source for the re-noising.</param>
    public static Tensor Sample(Denoiser consistencyFunction, Tensor xT, IReadOnlyList<double> taus,
        double sigmaMax = 80.0, double epsilon = 0.002, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(consistencyFunction);
        ArgumentNullException.ThrowIfNull(xT);
        ArgumentNullException.ThrowIfNull(taus);
        Guard.Positive(epsilon, nameof(epsilon));
        Guard.AtLeast(sigmaMax, epsilon, nameof(sigmaMax));
        for (int i = 0; i < taus.Count; i++)
        {
            double upper = i == 0 ? sigmaMax : taus[i - 1];
            if (!(taus[i] > epsilon && taus[i] < upper))
                throw new ArgumentException($"taus must be strictly decreasing inside (epsilon = {epsilon}, sigmaMax = {sigmaMax}), got taus[{i}] = {taus[i]} after {upper}.", nameof(taus));
        }
        var x = consistencyFunction(xT, sigmaMax);
        foreach (double tau in taus)
        {
            var next = Step(consistencyFunction, x, tau, epsilon, generator);
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>Network evaluations: 1 + number of τ.</summary>
    public static int NfeFor(IReadOnlyList<double> taus)
    {
        ArgumentNullException.ThrowIfNull(taus);
        return 1 + taus.Count;
    }
}
