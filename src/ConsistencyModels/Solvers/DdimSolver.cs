using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// Deterministic DDIM (Song, Meng &amp; Ermon 2021, Eq. 12 with η = 0) written in the EDM form: predict
/// x̂₀ = D(x;σ) and ε̂ = (x − x̂₀)/σ, then x' = x̂₀ + σ'·ε̂. Algebraically this is the Euler step
/// (Karras et al. 2022, Sec. 3), which the tests confirm.
/// </summary>
public static class DdimSolver
{
    /// <summary>One DDIM step σ → σ' with σ and σ' of shape [B].</summary>
    public static Tensor Step(BatchDenoiser denoiser, Tensor x, Tensor sigma, Tensor sigmaNext)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        SolverGuards.PerSample(x, sigma, nameof(sigma));
        SolverGuards.PerSample(x, sigmaNext, nameof(sigmaNext));
        using var scope = NewDisposeScope();
        var x0 = denoiser(x, sigma);
        var eps = SolverGuards.Slope(x, x0, sigma); // ε̂ = (x − x̂₀)/σ, the same quantity as the ODE slope
        return x0.Plus(eps * SolverGuards.Broadcast(sigmaNext, x)).MoveToOuterDisposeScope();
    }

    /// <summary>Integrates from x_T at sigmas[0]; returns the state at sigmas[^1].</summary>
    public static Tensor Sample(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas) =>
        SolverGuards.Integrate(denoiser, xT, sigmas, Step);

    /// <summary>Network evaluations: one per step.</summary>
    public static int NfeFor(IReadOnlyList<double> sigmas)
    {
        SolverGuards.Grid(sigmas);
        return sigmas.Count - 1;
    }
}
