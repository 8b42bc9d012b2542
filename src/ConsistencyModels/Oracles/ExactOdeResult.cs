using static TorchSharp.torch;

namespace ConsistencyModels.Oracles;

/// <summary>The reference PF-ODE solution and its estimated precision.</summary>
/// <param name="X">The state at the end σ (float64; caller owns it).</param>
/// <param name="ErrorEstimate">Max-abs estimate of the error of <paramref name="X"/> (Richardson: |x_h − x_{h/2}|/15 before extrapolation, an upper bound in practice for the extrapolated value).</param>
/// <param name="Steps">RK4 steps of the finer of the two runs.</param>
/// <param name="Nfe">Denoiser evaluations spent.</param>
public sealed record ExactOdeResult(Tensor X, double ErrorEstimate, int Steps, int Nfe) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => X.Dispose();
}
