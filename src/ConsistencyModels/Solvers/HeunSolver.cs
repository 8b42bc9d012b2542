using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// Heun's second-order solver of the PF-ODE (Karras et al. 2022, Alg. 1): an Euler step, then, if σ' ≠ 0,
/// the slope at the Euler point is averaged with the first slope. NFE = 2N − 1 on a grid ending at 0.
/// </summary>
public static class HeunSolver
{
    /// <summary>
    /// One Heun step σ → σ' with σ and σ' of shape [B]. Samples whose σ' is 0 get the Euler step (the slope is
    /// undefined there); when any σ' &gt; 0 the denoiser is called once on the whole batch for the correction.
    /// </summary>
    public static Tensor Step(BatchDenoiser denoiser, Tensor x, Tensor sigma, Tensor sigmaNext)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        SolverGuards.PerSample(x, sigma, nameof(sigma));
        SolverGuards.PerSample(x, sigmaNext, nameof(sigmaNext));
        using var scope = NewDisposeScope();
        var h = SolverGuards.Broadcast(sigmaNext - sigma, x);
        var d = SolverGuards.Slope(x, denoiser(x, sigma), sigma);
        var xEuler = x.Plus(d * h);
        var positive = sigmaNext.Greater(0);
        if (!positive.any().item<bool>()) return xEuler.MoveToOuterDisposeScope();
        // σ' = 0 rows: evaluate at a harmless σ = 1 and discard, so no 0/0 reaches the result.
        var snSafe = where(positive, sigmaNext, ones_like(sigmaNext));
        var d2 = SolverGuards.Slope(xEuler, denoiser(xEuler, snSafe), snSafe);
        var heun = x.Plus((d.Plus(d2)) * (h.Times(0.5)));
        return where(SolverGuards.Broadcast(positive, x).to(ScalarType.Bool), heun, xEuler).MoveToOuterDisposeScope();
    }

    /// <summary>Integrates from x_T at sigmas[0] through every grid value; returns the state at sigmas[^1].</summary>
    public static Tensor Sample(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas) =>
        SolverGuards.Integrate(denoiser, xT, sigmas, Step);

    /// <summary>Network evaluations of <see cref="Sample"/>: 2 per step, 1 for a step to σ' = 0.</summary>
    public static int NfeFor(IReadOnlyList<double> sigmas)
    {
        SolverGuards.Grid(sigmas);
        return 2 * (sigmas.Count - 1) - (sigmas[^1] == 0 ? 1 : 0);
    }
}
