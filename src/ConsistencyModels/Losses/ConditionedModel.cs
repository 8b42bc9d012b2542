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
}
