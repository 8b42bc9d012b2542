using ConsistencyModels.Diffusion;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Alg. 2), the multistep second-order data-prediction
/// solver, in the EDM form with λ = −ln σ (as in k-diffusion's sample_dpmpp_2m). One evaluation per step;
/// the first step is first order (no history) and the final step to σ = 0 returns D.
/// </summary>
public static class DpmSolverPlusPlus2M
{
    /// <summary>
    /// The update σ → σ' given this step's denoised value and, after the first step, the previous one:
    /// x' = (σ'/σ)·x − expm1(−h)·D̃ with h = ln σ − ln σ', D̃ = (1 + 1/(2r))·D − 1/(2r)·D_prev,
    /// r = h_prev/h. With no history (or σ' = 0) D̃ = D; σ' = 0 returns D.
    /// </summary>
    /// <param name="x">State at σ.</param>
    /// <param name="denoised">D(x; σ).</param>
    /// <param name="previousDenoised">D at the previous grid point, or null on the first step.</param>
    /// <param name="sigmaPrevious">The previous grid point (ignored when <paramref name="previousDenoised"/> is null).</param>
    /// <param name="sigma">Current σ &gt; 0.</param>
    /// <param name="sigmaNext">Next σ' ∈ [0, σ).</param>
    public static Tensor Update(Tensor x, Tensor denoised, Tensor? previousDenoised, double sigmaPrevious, double sigma, double sigmaNext)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(denoised);
        SolverGuards.Step(sigma, sigmaNext);
        TensorGuard.SameShape(x, denoised, nameof(x), nameof(denoised));
        if (sigmaNext == 0) return denoised.clone();
        using var scope = NewDisposeScope();
        double h = Math.Log(sigma) - Math.Log(sigmaNext);
        double decay = -Numerics.Expm1(-h);
        Tensor target = denoised;
        if (previousDenoised is not null)
        {
            TensorGuard.SameShape(x, previousDenoised, nameof(x), nameof(previousDenoised));
            if (!(sigmaPrevious > sigma))
                throw new ArgumentException($"sigmaPrevious must be > sigma = {sigma}, got {sigmaPrevious}.", nameof(sigmaPrevious));
            double hPrev = Math.Log(sigmaPrevious) - Math.Log(sigma);
            double r = hPrev / h;
            target = denoised.Times(1 + 1 / (2 * r)) - previousDenoised.Times(1 / (2 * r));
        }
        return x.Times(sigmaNext / sigma).Plus(target.Times(decay)).MoveToOuterDisposeScope();
    }

    /// <summary>Integrates from x_T at sigmas[0]; returns the state at sigmas[^1].</summary>
    public static Tensor Sample(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(xT);
        SolverGuards.Grid(sigmas);
        var x = xT.clone();
        Tensor? previous = null;
        for (int i = 0; i + 1 < sigmas.Count; i++)
        {
            var d = denoiser(x, sigmas[i]);
            var next = Update(x, d, previous, i > 0 ? sigmas[i - 1] : double.NaN, sigmas[i], sigmas[i + 1]);
            x.Dispose();
            previous?.Dispose();
            x = next;
            previous = d;
        }
        previous?.Dispose();
        return x;
    }

    /// <summary>Network evaluations: one per step.</summary>
    public static int NfeFor(IReadOnlyList<double> sigmas)
    {
        SolverGuards.Grid(sigmas);
        return sigmas.Count - 1;
    }
}
