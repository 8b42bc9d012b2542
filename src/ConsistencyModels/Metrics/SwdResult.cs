namespace ConsistencyModels.Metrics;

/// <summary>Sliced Wasserstein distances, ×10³ as reported by Karras et al. 2018.</summary>
/// <param name="PerLevel">One value per Laplacian level, finest first.</param>
/// <param name="Mean">The average over levels.</param>
public sealed record SwdResult(IReadOnlyList<double> PerLevel, double Mean);
