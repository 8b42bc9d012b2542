namespace ConsistencyModels.Diffusion;

/// <summary>
/// expm1 and log1p accurate to a few ulps (.NET's double.ExpM1/LogP1 are computed as exp(x) − 1 and
/// log(1 + x), which lose all relative precision for tiny x). Kahan's correction trick
/// (Goldberg 1991, "What every computer scientist should know about floating-point", Thm. 4).
/// </summary>
internal static class Numerics
{
    /// <summary>e^x − 1.</summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary>ln(1 + x).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }
}
