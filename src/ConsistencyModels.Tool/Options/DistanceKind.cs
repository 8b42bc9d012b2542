namespace ConsistencyModels.Tool.Options;

/// <summary>The distance d(a, b) of a consistency or regression loss (DESIGN.md, CD).</summary>
public enum DistanceKind
{
    /// <summary>Squared ℓ2.</summary>
    [CliName("l2")] L2,

    /// <summary>ℓ1.</summary>
    [CliName("l1")] L1,

    /// <summary>Pseudo-Huber √(‖a−b‖²+c²)−c, c = 0.00054·√dim (iCT §3.3), the LPIPS-free choice.</summary>
    [CliName("pseudo-huber")] PseudoHuber,
}
