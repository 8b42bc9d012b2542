namespace ConsistencyModels.Metrics;

/// <summary>Sliced Wasserstein distances of one normalization, ×10³, one per Laplacian level.</summary>
/// <param name="PerLevel">One value per level, finest first; the last level is the coarsest (the low-pass residual).</param>
public sealed record SwdLevels(IReadOnlyList<double> PerLevel)
{
    /// <summary>The average over levels.</summary>
    public double Mean => PerLevel.Average();

    /// <summary>The coarsest level (where shapes the size of a brick live at 128² and above).</summary>
    public double Coarse => PerLevel[^1];
}
