using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// A preconditioned model as the losses see it: D(x; σ, class) for a denoiser, f(x, σ, class) for a
/// consistency model. σ has shape [B] (one noise level per sample); labels are [B] int64 or null.
/// The losses know nothing of layers: they call this delegate.
/// </summary>
public delegate Tensor ConditionedModel(Tensor x, Tensor sigma, Tensor? labels);

/// <summary>Small tensor helpers shared by the losses.</summary>
internal static class LossTensors
{
    /// <summary>Reshapes a per-sample [B] tensor to [B, 1, 1, 1] (or matching rank) for broadcasting over x.</summary>
    public static Tensor Broadcastable(Tensor perSample, Tensor like)
    {
        var shape = new long[like.dim()];
        shape[0] = perSample.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        return perSample.reshape(shape);
    }

    /// <summary>Gathers grid values at integer indices: values[idx] as a tensor of x's dtype and device.</summary>
    public static Tensor Gather(IReadOnlyList<double> values, Tensor indices, Tensor like)
    {
        var idx = indices.data<long>().ToArray();
        var picked = new double[idx.Length];
        for (int i = 0; i < idx.Length; i++) picked[i] = values[(int)idx[i]];
        return tensor(picked, dtype: like.dtype, device: like.device);
    }

    /// <summary>The pair of adjacent levels σ_n, σ_{n+1} [B] at grid indices n and the noisy input x = x₀ + σ_n·z
    /// (the start of every consistency loss on a grid).</summary>
    public static (Tensor Sigma, Tensor SigmaNext, Tensor X) AdjacentLevels(IReadOnlyList<double> sigmas, Tensor indices, Tensor x0, Tensor z)
    {
        var sigma = Gather(sigmas, indices, x0);
        var sigmaNext = Gather(sigmas, indices.Plus(1), x0);
        return (sigma, sigmaNext, x0.Plus(Broadcastable(sigma, x0) * z));
    }
}
