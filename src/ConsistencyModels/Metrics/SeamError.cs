using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>
/// How visible the wrap-around seam of tiling textures is: the mean absolute pixel difference across the
/// boundary (last column → first column, last row → first row) divided by the mean absolute difference between
/// neighbouring pixels inside the images, over the whole set. 1.0 = the seam looks like any interior edge
/// (seamless); a non-periodic ramp of width W gives W − 1.
/// </summary>
public static class SeamError
{
    /// <summary>Seam/interior gradient ratio of [N, 3, H, W] (H, W ≥ 2). Returns NaN for constant images (no gradient anywhere).</summary>
    public static double Compute(Tensor images)
    {
        MetricInputs.CheckBatch(images, nameof(images), minSide: 2);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = images.detach().to(float64).cpu();
        var dxInterior = (x[.., .., .., 1..] - x[.., .., .., ..^1]).abs();
        var dyInterior = (x[.., .., 1.., ..] - x[.., .., ..^1, ..]).abs();
        var dxSeam = (x[.., .., .., 0] - x[.., .., .., -1]).abs();
        var dySeam = (x[.., .., 0, ..] - x[.., .., -1, ..]).abs();
        double interior = dxInterior.sum().Plus(dyInterior.sum()).item<double>() / (dxInterior.numel() + dyInterior.numel());
        double seam = dxSeam.sum().Plus(dySeam.sum()).item<double>() / (dxSeam.numel() + dySeam.numel());
        return seam / interior;
    }
}
