namespace ConsistencyModels.Diffusion;

/// <summary>Solves ½β_d t² + β_min t = g for t ≥ 0 (shared by the VP and sub-VP forms).</summary>
internal static class VpTime
{
    /// <summary>t = 2g / (β_min + √(β_min² + 2β_d g)): the positive root, written without cancellation.</summary>
    public static double FromG(double g, double betaMin, double betaD) =>
        g <= 0 ? 0.0 : 2.0 * g / (betaMin + Math.Sqrt(betaMin * betaMin + 2.0 * betaD * g));
}
