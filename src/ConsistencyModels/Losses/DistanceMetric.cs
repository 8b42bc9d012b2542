using ConsistencyModels.Naming;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>The distance d(a, b) between a model output and its target (Song et al. 2023, §3; Song &amp; Dhariwal 2023, §3.3).</summary>
public enum DistanceMetricKind
{
    /// <summary>Mean squared difference per sample.</summary>
    [Name("l2")] L2,
    /// <summary>Mean absolute difference per sample.</summary>
    [Name("l1")] L1,
    /// <summary>Pseudo-Huber √(‖a−b‖² + c²) − c with c = 0.00054·√dim (iCT): robust like l1, smooth like l2.</summary>
    [Name("pseudo-huber", "pseudohuber", "huber")] PseudoHuber,
}

/// <summary>Per-sample distances for the consistency losses.</summary>
public static class DistanceMetric
{
    /// <summary>The pseudo-Huber constant c = 0.00054·√dim recommended by iCT for images of dimension dim.</summary>
    public static double PseudoHuberC(long dim) => 0.00054 * Math.Sqrt(dim);

    /// <summary>d(a, b) for each sample of a batch: shape [B].</summary>
    public static Tensor PerSample(DistanceMetricKind kind, Tensor a, Tensor b)
    {
        TensorGuard.SameShape(a, b, nameof(a), nameof(b));
        long batch = a.shape[0];
        using var diff = (a - b).reshape(batch, -1);
        return kind switch
        {
            DistanceMetricKind.L2 => diff.Square().mean(new long[] { 1 }),
            DistanceMetricKind.L1 => diff.abs().mean(new long[] { 1 }),
            DistanceMetricKind.PseudoHuber => PseudoHuber(diff, PseudoHuberC(diff.shape[1])),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown distance metric"),
        };
    }

    private static Tensor PseudoHuber(Tensor flatDiff, double c)
    {
        using var sq = flatDiff.Square().sum(new long[] { 1 });
        return sq.Plus(c * c).sqrt().Minus(c);
    }
}
