using ConsistencyModels.Oracles;

namespace ConsistencyModels.Tests.Oracles;

/// <summary>The small Gaussian mixtures the solver and oracle tests share.</summary>
internal static class TestMixtures
{
    /// <summary>A 2-D, 3-component mixture with diagonal stds (scale ≈ 1, like data in [−1, 1]).</summary>
    public static GaussianMixture TwoD() => new(
        new[] { 0.5, 0.3, 0.2 },
        new double[,] { { -1.0, 0.5 }, { 1.0, 1.0 }, { 0.3, -1.0 } },
        new double[,] { { 0.3, 0.5 }, { 0.4, 0.2 }, { 0.25, 0.35 } });

    /// <summary>A smoother 2-D mixture (wider components) where 18 Heun steps are accurate, for moment tests.</summary>
    public static GaussianMixture SmoothTwoD() => new(
        new[] { 0.5, 0.3, 0.2 },
        new double[,] { { -0.8, 0.4 }, { 0.9, 0.8 }, { 0.3, -0.9 } },
        new double[,] { { 0.7, 0.8 }, { 0.8, 0.6 }, { 0.65, 0.75 } });

    /// <summary>A 4-D, 2-component isotropic mixture.</summary>
    public static GaussianMixture FourD() => new(
        new[] { 0.6, 0.4 },
        new double[,] { { 0.5, -0.5, 0.2, 0.0 }, { -0.6, 0.4, -0.3, 0.5 } },
        new[] { 0.3, 0.45 });
}
