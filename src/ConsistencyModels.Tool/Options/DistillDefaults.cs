namespace ConsistencyModels.Tool.Options;

/// <summary>
/// The per-method defaults of <c>cm distill</c>: each method's paper settings, scaled to a 2-core CPU.
/// LPIPS is not available (no pretrained VGG), so where a paper used LPIPS we use pseudo-Huber,
/// the LPIPS-free metric iCT introduced for exactly this purpose (Song &amp; Dhariwal 2023, §3.3).
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>method</term><description>loss · weighting · N · extras · lr (paper)</description></listheader>
/// <item><term>cd</term><description>pseudo-huber · uniform · N = 18 Karras grid, Heun teacher step · μ = 0.95 · 4e-4 (CM paper, CIFAR-10 CD)</description></item>
/// <item><term>ct</term><description>pseudo-huber · uniform · N: 2 → 150 · μ₀ = 0.9 · 4e-4 (CM paper, CIFAR-10 CT)</description></item>
/// <item><term>ict</term><description>pseudo-huber · 1/(σ_{i+1}−σ_i) · N doubling 10 → 1280 · no EMA · 1e-4 (iCT)</description></item>
/// <item><term>direct-cd</term><description>as cd (pseudo-huber · uniform · N = 18), target = teacher's Heun solution down to ε (seed 003)</description></item>
/// <item><term>progressive</term><description>l2 · truncated-snr max(σ⁻², 1) · 32 teacher steps halved over 5 rounds to 1 · 2e-4 (Salimans &amp; Ho 2022)</description></item>
/// <item><term>rectified</term><description>l2 · karras (EDM λ) · 10 000 pairs from an 18-step Heun teacher (35 NFE) · flow form · 2e-4 (seed 002)</description></item>
/// </list>
/// </remarks>
public static class DistillDefaults
{
    /// <summary>Default training iterations (a ~40-minute budget on 2 cores for the small config).</summary>
    public const int Iters = 10_000;

    /// <summary>Default batch size.</summary>
    public const int Batch = 32;

    /// <summary>Default crop for ct and ict (which have no teacher to take it from).</summary>
    public const int Crop = 32;

    /// <summary>Default network preset for ct and ict.</summary>
    public const NetworkPreset Config = NetworkPreset.Small;

    /// <summary>Default number of rectified-diffusion pairs.</summary>
    public const int Pairs = 10_000;

    /// <summary>The distance d of <paramref name="method"/>'s loss.</summary>
    /// <param name="method">The method.</param>
    public static DistanceKind Loss(DistillMethod method) => method switch
    {
        DistillMethod.Progressive or DistillMethod.Rectified => DistanceKind.L2,
        _ => DistanceKind.PseudoHuber,
    };

    /// <summary>The loss weighting of <paramref name="method"/>.</summary>
    /// <param name="method">The method.</param>
    public static WeightingKind Weighting(DistillMethod method) => method switch
    {
        DistillMethod.Ict => WeightingKind.InverseStep,
        DistillMethod.Progressive => WeightingKind.TruncatedSnr,
        DistillMethod.Rectified => WeightingKind.Karras,
        _ => WeightingKind.Uniform,
    };

    /// <summary>The meaning-dependent N of <paramref name="method"/> (see <see cref="DistillOptions.N"/>).</summary>
    /// <param name="method">The method.</param>
    public static int N(DistillMethod method) => method switch
    {
        DistillMethod.Ct => 150,
        DistillMethod.Ict => 1280,
        DistillMethod.Progressive => 32,
        _ => 18,
    };

    /// <summary>The initial N of the ct / ict curriculum; null for other methods.</summary>
    /// <param name="method">The method.</param>
    public static int? NStart(DistillMethod method) => method switch
    {
        DistillMethod.Ct => 2,
        DistillMethod.Ict => 10,
        _ => null,
    };

    /// <summary>The target-network EMA μ (cd) or μ₀ (ct); null where the method has no EMA target.</summary>
    /// <param name="method">The method.</param>
    public static double? Ema(DistillMethod method) => method switch
    {
        DistillMethod.Cd => 0.95,
        DistillMethod.Ct => 0.9,
        _ => null,
    };

    /// <summary>The Adam learning rate of <paramref name="method"/>.</summary>
    /// <param name="method">The method.</param>
    public static double Lr(DistillMethod method) => method switch
    {
        DistillMethod.Cd or DistillMethod.Ct or DistillMethod.DirectCd => 4e-4,
        DistillMethod.Ict => 1e-4,
        _ => 2e-4,
    };

    /// <summary>Whether <paramref name="method"/> distills a teacher (cd, direct-cd, progressive, rectified).</summary>
    /// <param name="method">The method.</param>
    public static bool NeedsTeacher(DistillMethod method) => method is not (DistillMethod.Ct or DistillMethod.Ict);

    /// <summary>Whether <paramref name="method"/> reads training images (all but rectified).</summary>
    /// <param name="method">The method.</param>
    public static bool NeedsData(DistillMethod method) => method is not DistillMethod.Rectified;
}
