namespace ConsistencyModels.Metrics;

/// <summary>Sliced Wasserstein distances, ×10³ as reported by Karras et al. 2018, in both normalizations.</summary>
/// <param name="RealNormalized">
/// Both sets normalized by the reference (real) set's per-band channel mean and standard deviation: sees blur,
/// lost contrast and colour shifts (the primary number since 2026-12-01, DESIGN.md "Metrics").
/// </param>
/// <param name="PerSet">
/// Each set normalized by its own statistics (Karras et al.'s variant, the SWD of tables before 2026-12-01):
/// blind to contrast loss and partly to blur.
/// </param>
public sealed record SwdResult(SwdLevels RealNormalized, SwdLevels PerSet);
