using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// EDM's stochastic sampler (Karras et al. 2022, Alg. 2): at each σ ∈ [S_tmin, S_tmax] raise the noise to
/// σ̂ = σ(1 + γ) with γ = min(S_churn/N, √2 − 1) by adding √(σ̂² − σ²)·S_noise·z, then take a Heun step
/// σ̂ → σ'. With S_churn = 0 no noise is added and it is exactly <see cref="HeunSolver"/>.
/// </summary>
public static class EdmStochasticSampler
{
    /// <summary>γ for one step: min(S_churn/N, √2 − 1) if S_tmin ≤ σ ≤ S_tmax, else 0 (N = number of steps).</summary>
    public static double Gamma(double sigma, int steps, double sChurn, double sTmin, double sTmax)
    {
        Guard.AtLeast(steps, 1, nameof(steps));
        Guard.NonNegative(sChurn, nameof(sChurn));
        return sigma >= sTmin && sigma <= sTmax ? Math.Min(sChurn / steps, Math.Sqrt(2.0) - 1.0) : 0.0;
    }

    /// <summary>One churn + Heun step σ → σ' (σ, σ' of shape [B], one γ for the batch); z ~ N(0, I) is drawn with
    /// <paramref name="generator"/>.</summary>
    public static Tensor Step(BatchDenoiser denoiser, Tensor x, Tensor sigma, Tensor sigmaNext, double gamma,
        double sNoise = 1.0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.NonNegative(gamma, nameof(gamma));
        if (gamma == 0) return HeunSolver.Step(denoiser, x, sigma, sigmaNext);
        using var scope = NewDisposeScope();
        var sigmaHat = sigma.Times(1 + gamma);
        var z = randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
        // √(σ̂² − σ²) = σ·√((1 + γ)² − 1)
        var xHat = x.Plus(z * SolverGuards.Broadcast(sigma.Times(Math.Sqrt((1 + gamma) * (1 + gamma) - 1) * sNoise), x));
        return HeunSolver.Step(denoiser, xHat, sigmaHat, sigmaNext).MoveToOuterDisposeScope();
    }

    /// <summary>Runs Alg. 2 over the grid from x_T at sigmas[0]; returns the sample at sigmas[^1].</summary>
    /// <param name="denoiser">D(x;σ).</param>
    /// <param name="xT">Start state (σmax·z).</param>
    /// <param name="sigmas">Decreasing grid, usually ending at 0.</param>
    /// <param name="sChurn">S_churn ≥ 0 (0 = deterministic Heun).</param>
    /// <param name="sTmin">Churn only for σ ≥ S_tmin.</param>
    /// <param name="sTmax">Churn only for σ ≤ S_tmax.</param>
    /// <param name="sNoise">S_noise, slightly above 1 compensates denoiser over-smoothing.</param>
    /// <param name="generator">Random source for the churn noise (null = torch's global one).</param>
    public static Tensor Sample(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas, double sChurn = 0.0,
        double sTmin = 0.0, double sTmax = double.PositiveInfinity, double sNoise = 1.0, Generator? generator = null)
    {
        Guard.NonNegative(sChurn, nameof(sChurn));
        int steps = (sigmas?.Count ?? 0) - 1;
        int i = 0;
        return SolverGuards.Integrate(denoiser, xT, sigmas!, (d, x, sigma, sigmaNext) =>
            Step(d, x, sigma, sigmaNext, Gamma(sigmas![i++], steps, sChurn, sTmin, sTmax), sNoise, generator));
    }

    /// <summary>Network evaluations: as Heun (churn costs none).</summary>
    public static int NfeFor(IReadOnlyList<double> sigmas) => HeunSolver.NfeFor(sigmas);
}
