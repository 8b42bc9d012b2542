namespace ConsistencyModels.Schedules;

/// <summary>
/// Discretization and EMA schedules N(k), μ(k) of consistency distillation (CD), consistency training
/// (CT; Song et al. 2023, Appendix C, "Consistency Training") and improved CT (iCT; Song &amp; Dhariwal
/// 2023, Sec. 3.3 and 3.4). k is the training step, K the total number of steps.
/// </summary>
public static class ConsistencySchedules
{
    /// <summary>CD keeps N and μ fixed for the whole run (Song et al. 2023: N = 18 or 40, μ = 0.95 … 0.999).</summary>
    public static ConsistencyScheduleStep Cd(int n = 18, double mu = 0.95)
    {
        Guard.AtLeast(n, 2, nameof(n));
        Guard.InRange(mu, 0.0, 1.0, nameof(mu));
        return new ConsistencyScheduleStep(n, mu);
    }

    /// <summary>CT: N(k) = ⌈√(k/K·((s1+1)² − s0²) + s0²) − 1⌉ + 1 (Song et al. 2023, Appendix C).</summary>
    public static int CtN(long k, long totalSteps, int s0 = 2, int s1 = 150)
    {
        CheckStep(k, totalSteps);
        Guard.AtLeast(s0, 1, nameof(s0));
        Guard.AtLeast(s1, s0, nameof(s1));
        double inner = (double)k / totalSteps * ((s1 + 1.0) * (s1 + 1.0) - (double)s0 * s0) + (double)s0 * s0;
        // Round away float noise before the ceiling so exact squares land where the formula puts them.
        double v = Math.Round(Math.Sqrt(inner) - 1.0, 9);
        return (int)Math.Ceiling(v) + 1;
    }

    /// <summary>CT: μ(k) = exp(s0·ln μ0 / N(k)) (Song et al. 2023, Appendix C).</summary>
    public static double CtMu(int n, int s0 = 2, double mu0 = 0.9)
    {
        Guard.AtLeast(n, 1, nameof(n));
        Guard.AtLeast(s0, 1, nameof(s0));
        if (!(mu0 > 0 && mu0 < 1))
            throw new ArgumentOutOfRangeException(nameof(mu0), mu0, $"mu0 must be in (0, 1), got {mu0}.");
        return Math.Exp(s0 * Math.Log(mu0) / n);
    }

    /// <summary>CT's (N(k), μ(k)).</summary>
    public static ConsistencyScheduleStep Ct(long k, long totalSteps, int s0 = 2, int s1 = 150, double mu0 = 0.9)
    {
        int n = CtN(k, totalSteps, s0, s1);
        return new ConsistencyScheduleStep(n, CtMu(n, s0, mu0));
    }

    /// <summary>
    /// iCT: N(k) = min(s0·2^⌊k/K'⌋, s1) + 1 with K' = ⌊K / (log2⌊s1/s0⌋ + 1)⌋ (Song &amp; Dhariwal 2023, Eq. 7):
    /// N doubles from s0 + 1 to s1 + 1 in equal stages.
    /// </summary>
    public static int IctN(long k, long totalSteps, int s0 = 10, int s1 = 1280)
    {
        CheckStep(k, totalSteps);
        Guard.AtLeast(s0, 1, nameof(s0));
        Guard.AtLeast(s1, s0, nameof(s1));
        // The paper floors the ratio inside the logarithm, not the logarithm: K' = ⌊K / (log2⌊s1/s0⌋ + 1)⌋, so a ratio
        // that is not a power of two reaches s1 before K (s0 10, s1 150: at k = 4K' ≈ 0.81 K).
        double stages = Math.Log2(Math.Floor((double)s1 / s0)) + 1;
        long kPrime = Math.Max(1, (long)Math.Floor(totalSteps / stages));
        long doublings = k / kPrime;
        long n = doublings >= 31 ? s1 : Math.Min((long)s0 << (int)doublings, s1);
        return (int)n + 1;
    }

    /// <summary>iCT's (N(k), μ = 0): the target is stopgrad(θ), no EMA (Song &amp; Dhariwal 2023, Sec. 3.2).</summary>
    public static ConsistencyScheduleStep Ict(long k, long totalSteps, int s0 = 10, int s1 = 1280) =>
        new(IctN(k, totalSteps, s0, s1), 0.0);

    private static void CheckStep(long k, long totalSteps)
    {
        if (totalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"totalSteps K must be >= 1, got {totalSteps}.");
        if (k < 0 || k > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"training step k must be in [0, K = {totalSteps}], got {k}.");
    }
}
