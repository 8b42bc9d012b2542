namespace ConsistencyModels.Schedules;

/// <summary>Special functions .NET lacks.</summary>
internal static class SpecialFunctions
{
    /// <summary>
    /// erf(x) to ~1e-15 absolute. Uses the all-positive series
    /// erf(x) = 2/√π·e^{−x²}·Σ_n 2ⁿx^{2n+1}/(1·3·…·(2n+1)) (Abramowitz &amp; Stegun 7.1.6), which has no
    /// cancellation; for |x| ≥ 6, erf(x) = ±1 to double precision (erfc(6) ≈ 2e-17).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 6.0) return Math.Sign(x);
        double term = ax, sum = ax, x2 = ax * ax;
        for (int n = 1; n < 500; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        double r = 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        return x < 0 ? -r : r;
    }
}
