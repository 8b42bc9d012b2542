using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// First-order Euler solver of the PF-ODE dx/dσ = (x − D(x;σ))/σ (Karras et al. 2022, Alg. 1 without the
/// Heun correction): x' = x + (σ' − σ)·(x − D(x;σ))/σ. One network evaluation per step.
/// </summary>
public static class EulerSolver
{
    /// <summary>One Euler step σ → σ' with σ and σ' of shape [B] (σ' may be 0, which lands on D).</summary>
    public static Tensor Step(BatchDenoiser denoiser, Tensor x, Tensor sigma, Tensor sigmaNext)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        SolverGuards.PerSample(x, sigma, nameof(sigma));
        SolverGuards.PerSample(x, sigmaNext, nameof(sigmaNext));
        using var scope = NewDisposeScope();
        var d = SolverGuards.Slope(x, denoiser(x, sigma), sigma);
        return x.Plus(d * SolverGuards.Broadcast(sigmaNext - sigma, x)).MoveToOuterDisposeScope();
    }

    /// <summary>Integrates from x_T at sigmas[0] through every grid value; returns the state at sigmas[^1].</summary>
    public static Tensor Sample(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas) =>
        SolverGuards.Integrate(denoiser, xT, sigmas, Step);

    /// <summary>Network evaluations of <see cref="Sample"/> on this grid: one per step.</summary>
    public static int NfeFor(IReadOnlyList<double> sigmas)
    {
        SolverGuards.Grid(sigmas);
        return sigmas.Count - 1;
    }
}
