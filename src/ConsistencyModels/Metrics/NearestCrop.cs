using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>
/// Copy detection: how close each generated image lies to its nearest training crop, compared with how close
/// fresh real crops lie to the same training crops.
/// </summary>
public static class NearestCrop
{
    /// <summary>Mean over <paramref name="queries"/> of the RMS distance to the nearest of <paramref name="references"/>.</summary>
    public static double MeanNearestDistance(Tensor queries, Tensor references)
    {
        MetricInputs.CheckBatch(queries, nameof(queries));
        MetricInputs.CheckBatch(references, nameof(references));
        MetricInputs.CheckSameImageSize(queries, references, nameof(queries), nameof(references));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var q = queries.detach().to(float64).cpu().reshape(queries.shape[0], -1);
        var r = references.detach().to(float64).cpu().reshape(references.shape[0], -1);
        return torch.cdist(q, r).min(1).values.mean().item<double>() / Math.Sqrt(q.shape[1]);
    }

    /// <summary>Nearest-training-crop distances of <paramref name="samples"/> and of held-out <paramref name="real"/> crops, and their ratio.</summary>
    public static NearestCropResult Compute(Tensor samples, Tensor trainCrops, Tensor real)
    {
        double s = MeanNearestDistance(samples, trainCrops);
        double r = MeanNearestDistance(real, trainCrops);
        return new NearestCropResult(s, r, s / r);
    }
}
