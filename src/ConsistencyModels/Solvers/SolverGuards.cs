using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>Shared argument checks and broadcasting helpers for the solvers.</summary>
internal static class SolverGuards
{
    /// <summary>
    /// A sampling grid: at least 2 values, strictly decreasing, finite, all &gt; 0 except possibly the last (= 0).
    /// </summary>
    public static void Grid(IReadOnlyList<double> sigmas, string name = "sigmas")
    {
        ArgumentNullException.ThrowIfNull(sigmas, name);
        if (sigmas.Count < 2)
            throw new ArgumentException($"{name} must hold at least 2 noise levels (start and end), got {sigmas.Count}.", name);
        for (int i = 0; i < sigmas.Count; i++)
        {
            double s = sigmas[i];
            bool last = i == sigmas.Count - 1;
            if (double.IsNaN(s) || double.IsInfinity(s) || s < 0 || (s == 0 && !last))
                throw new ArgumentException($"{name}[{i}] must be finite and > 0 (only the last may be 0), got {s}.", name);
            if (i > 0 && !(s < sigmas[i - 1]))
                throw new ArgumentException($"{name} must be strictly decreasing, got {name}[{i - 1}] = {sigmas[i - 1]} then {name}[{i}] = {s}.", name);
        }
    }

    /// <summary>
    /// Runs a one-step solver over a grid with the one σ convention of the solvers (σ as a [B] tensor, as k-diffusion):
    /// checks the grid, then x ← step(D, x, σ_i·1, σ_{i+1}·1) from x_T at sigmas[0], disposing each intermediate state.
    /// The shared-σ <paramref name="denoiser"/> is called with the grid value itself. Returns the state at sigmas[^1].
    /// </summary>
    public static Tensor Integrate(Denoiser denoiser, Tensor xT, IReadOnlyList<double> sigmas,
        Func<BatchDenoiser, Tensor, Tensor, Tensor, Tensor> step)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(xT);
        Grid(sigmas);
        var batch = PerSample(denoiser);
        var x = xT.clone();
        for (int i = 0; i + 1 < sigmas.Count; i++)
        {
            using var sigma = Full(xT, sigmas[i]);
            using var sigmaNext = Full(xT, sigmas[i + 1]);
            var next = step(batch, x, sigma, sigmaNext);
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>A shared-σ denoiser as a per-sample one (for batches whose σ [B] are all equal, as on a sampling grid).</summary>
    public static BatchDenoiser PerSample(Denoiser denoiser) => (x, sigma) => denoiser(x, sigma[0].item<double>());

    /// <summary>σ·1 of shape [B] (float64, on x's device).</summary>
    public static Tensor Full(Tensor x, double sigma) => ScalarArithmetic.Full([x.shape[0]], sigma, ScalarType.Float64, x.device);

    /// <summary>The PF-ODE slope dx/dσ = (x − D)/σ (k-diffusion's to_d) for σ [B].</summary>
    public static Tensor Slope(Tensor x, Tensor denoised, Tensor sigma) => (x - denoised) / Broadcast(sigma, x);

    /// <summary>One step σ → σ' with σ &gt; 0, 0 ≤ σ' &lt; σ.</summary>
    public static void Step(double sigma, double sigmaNext)
    {
        Guard.Positive(sigma, nameof(sigma));
        Guard.NonNegative(sigmaNext, nameof(sigmaNext));
        if (!(sigmaNext < sigma))
            throw new ArgumentException($"sigmaNext must be < sigma (the ODE runs toward σ = 0), got sigma = {sigma}, sigmaNext = {sigmaNext}.", nameof(sigmaNext));
    }

    /// <summary>Per-sample σ must have shape [B] with B = x.shape[0].</summary>
    public static void PerSample(Tensor x, Tensor sigma, string name)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma, name);
        if (x.dim() < 1 || sigma.dim() != 1 || sigma.shape[0] != x.shape[0])
            throw new ArgumentException($"{name} must have shape [B] = [{(x.dim() > 0 ? x.shape[0] : 0)}] (one σ per sample of x), got [{string.Join(", ", sigma.shape)}].", name);
    }

    /// <summary>Views σ [B] as [B, 1, …, 1] so it broadcasts over x [B, …].</summary>
    public static Tensor Broadcast(Tensor sigma, Tensor x)
    {
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = sigma.shape[0];
        return sigma.to(x.dtype).view(shape);
    }
}
