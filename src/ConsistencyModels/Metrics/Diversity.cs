using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>
/// Sample diversity: the mean pairwise RMS distance between generated images divided by the same for real crops.
/// Near 1 = as varied as the data; near 0 = mode collapse.
/// </summary>
public static class Diversity
{
    /// <summary>Mean over pairs i ≠ j of ‖x_i − x_j‖₂ / √D (D = 3·H·W), for [N, 3, H, W] with N ≥ 2.</summary>
    public static double MeanPairwiseDistance(Tensor images)
    {
        MetricInputs.CheckBatch(images, nameof(images), minCount: 2);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = images.shape[0];
        var flat = images.detach().to(float64).cpu().reshape(n, -1);
        var d = torch.cdist(flat, flat);
        // The diagonal is zero; average over the n(n−1) off-diagonal pairs.
        return d.sum().item<double>() / (n * (n - 1)) / Math.Sqrt(flat.shape[1]);
    }

    /// <summary><see cref="MeanPairwiseDistance"/> of <paramref name="samples"/> ÷ that of <paramref name="real"/>.</summary>
    public static double Ratio(Tensor samples, Tensor real)
    {
        MetricInputs.CheckSameImageSize(samples, real, nameof(samples), nameof(real));
        return MeanPairwiseDistance(samples) / MeanPairwiseDistance(real);
    }
}
