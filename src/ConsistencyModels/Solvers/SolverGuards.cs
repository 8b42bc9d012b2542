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
    /// Runs a one-step solver over a grid: checks the grid, then x ← step(x, σ_i, σ_{i+1}) from x_T at sigmas[0],
    /// disposing each intermediate state. Returns the state at sigmas[^1] (owned by the caller).
    /// </summary>
    public static Tensor Integrate(Tensor xT, IReadOnlyList<double> sigmas, Func<Tensor, double, double, Tensor> step)
    {
        ArgumentNullException.ThrowIfNull(xT);
        Grid(sigmas);
        var x = xT.clone();
        for (int i = 0; i + 1 < sigmas.Count; i++)
        {
            var next = step(x, sigmas[i], sigmas[i + 1]);
            x.Dispose();
            x = next;
        }
        return x;
    }

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
