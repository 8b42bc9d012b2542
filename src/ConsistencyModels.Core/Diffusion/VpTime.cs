namespace ConsistencyModels.Diffusion;

/// <summary>
/// The linear-β schedule shared by the VP and sub-VP forms: g(t) = ½β_d t² + β_min t = −ln ᾱ(t), its
/// derivative and its inverse.
/// </summary>
internal static class VpTime
{
    /// <summary>g(t) = ½β_d t² + β_min t.</summary>
    public static double G(double t, double betaMin, double betaD) => 0.5 * betaD * t * t + betaMin * t;

    /// <summary>g'(t) = β_d t + β_min.</summary>
    public static double GPrime(double t, double betaMin, double betaD) => betaD * t + betaMin;

    /// <summary>t = 2g / (β_min + √(β_min² + 2β_d g)): the positive root, written without cancellation.</summary>
    public static double FromG(double g, double betaMin, double betaD) =>
        g <= 0 ? 0.0 : 2.0 * g / (betaMin + Math.Sqrt(betaMin * betaMin + 2.0 * betaD * g));
}
