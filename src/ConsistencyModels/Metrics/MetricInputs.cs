using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>Shape checks shared by the metrics (all take image batches [N, 3, H, W] in [-1, 1]).</summary>
internal static class MetricInputs
{
    public static void CheckBatch(Tensor x, string name, int minCount = 1, int minSide = 1)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"{name} must be an image batch [N, 3, H, W], got [{string.Join(", ", x.shape)}].", name);
        if (x.shape[0] < minCount)
            throw new ArgumentException($"{name} must hold at least {minCount} images, got {x.shape[0]}.", name);
        if (x.shape[2] < minSide || x.shape[3] < minSide)
            throw new ArgumentException($"{name} images must be at least {minSide}x{minSide}, got {x.shape[3]}x{x.shape[2]}.", name);
    }

    public static void CheckSameImageSize(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.shape[2] != b.shape[2] || a.shape[3] != b.shape[3])
            throw new ArgumentException($"{nameA} and {nameB} must have the same image size, got {a.shape[3]}x{a.shape[2]} and {b.shape[3]}x{b.shape[2]}.");
    }
}
