using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>The distance d(a, b) between a model output and its target (Song et al. 2023, §3; Song &amp; Dhariwal 2023, §3.3).</summary>
public enum DistanceMetricKind
{
    /// <summary>Mean squared difference per sample.</summary>
    L2,
    /// <summary>Mean absolute difference per sample.</summary>
    L1,
    /// <summary>Pseudo-Huber √(‖a−b‖² + c²) − c with c = 0.00054·√dim (iCT): robust like l1, smooth like l2.</summary>
    PseudoHuber,
}

/// <summary>Per-sample distances for the consistency losses.</summary>
public static class DistanceMetric
{
    /// <summary>The pseudo-Huber constant c = 0.00054·√dim recommended by iCT for images of dimension dim.</summary>
    public static double PseudoHuberC(long dim) => 0.00054 * Math.Sqrt(dim);

    /// <summary>d(a, b) for each sample of a batch: shape [B].</summary>
    public static Tensor PerSample(DistanceMetricKind kind, Tensor a, Tensor b)
    {
        Guard.SameShape(a, b, nameof(a), nameof(b));
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

    /// <summary>Parses l2, l1 or pseudo-huber (case-insensitive).</summary>
    public static DistanceMetricKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "l2" => DistanceMetricKind.L2,
        "l1" => DistanceMetricKind.L1,
        "pseudo-huber" or "pseudohuber" or "huber" => DistanceMetricKind.PseudoHuber,
        _ => throw new ArgumentException($"unknown loss metric '{name}': expected l2, l1 or pseudo-huber"),
    };

    /// <summary>The command-line name of a metric.</summary>
    public static string Name(DistanceMetricKind kind) => kind switch
    {
        DistanceMetricKind.L2 => "l2",
        DistanceMetricKind.L1 => "l1",
        _ => "pseudo-huber",
    };
}
