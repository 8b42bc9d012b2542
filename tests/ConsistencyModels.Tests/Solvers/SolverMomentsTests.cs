using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Tests.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Solvers;

/// <summary>
/// Samplers started from σmax·z on a GMM must reproduce the mixture's mean and covariance within
/// statistical tolerance (stochastic samplers have no single exact solution, so moments are their measure).
/// Each table row also shows the moment errors of the exact ODE solution from the same x_T, which separates
/// sampling noise (shared) from the solver's own bias.
/// </summary>
public class SolverMomentsTests
{
    private const int Points = 4000;

    /// <summary>Max-abs error of sample mean and covariance against the GMM's analytic moments.</summary>
    internal static (double MeanErr, double CovErr) MomentErrors(GaussianMixture gmm, Tensor samples)
    {
        var m = gmm.Mean();
        var c = gmm.Covariance();
        using var mean = samples.mean(new long[] { 0 });
        using var cov = samples.T.cov();
        double me = 0, ce = 0;
        for (int i = 0; i < m.Length; i++)
        {
            me = Math.Max(me, Math.Abs(mean[i].item<double>() - m[i]));
            for (int j = 0; j < m.Length; j++) ce = Math.Max(ce, Math.Abs(cov[i, j].item<double>() - c[i, j]));
        }
        return (me, ce);
    }

    /// <summary>Statistical tolerances: 4 standard errors of the mean and covariance entries for n samples.</summary>
    private static (double Mean, double Cov) Tolerances(GaussianMixture gmm, int n)
    {
        var c = gmm.Covariance();
        double maxVar = Math.Max(c[0, 0], c[1, 1]);
        return (4 * Math.Sqrt(maxVar / n), 4 * maxVar * Math.Sqrt(2.0 / n));
    }

    /// <summary>
    /// Heun at 35 NFE (18 Karras points): the mean matches within 4 standard errors; the covariance carries the
    /// grid's own bias — for one Gaussian N(0, s²) Heun's map is linear, and on this grid it inflates the variance
    /// by 10–13 % (s = 0.8 … 0.3, checked below against the closed form) — so the covariance gets 4 SE plus 15 %.
    /// At 79 NFE (40 points; Gaussian inflation ≈ 2 %) both moments must match within 4 SE alone.
    /// </summary>
    [Test]
    public void HeunMatchesGmmMoments()
    {
        // The grid's variance inflation on a single Gaussian, against the closed form x₀ = x_T·s/√(s² + σmax²).
        foreach (double sd in new[] { 0.3, 0.8 })
        {
            var g1 = new GaussianMixture(new[] { 1.0 }, new double[,] { { 0.0 } }, new[] { sd });
            using var one = ones(1, 1, ScalarType.Float64);
            using var y = HeunSolver.Sample(g1.AsDenoiser(), one, KarrasSchedule.Sigmas(18));
            double inflation = Math.Pow(y.item<double>() / (sd / Math.Sqrt(sd * sd + 6400)), 2) - 1;
            TestContext.Out.WriteLine($"Heun 35 NFE on N(0, {sd}²): variance inflated by {inflation:P1}");
            Assert.That(inflation, Is.InRange(0.05, 0.15));
        }
        var gmm = TestMixtures.SmoothTwoD();
        var (tm, tc) = Tolerances(gmm, Points);
        using var xT = randn(new long[] { Points, 2 }, ScalarType.Float64, generator: new Generator(77)).Times(80.0);
        foreach (int n in new[] { 18, 40 })
        {
            var sigmas = KarrasSchedule.Sigmas(n);
            using var x = HeunSolver.Sample(gmm.AsDenoiser(), xT, sigmas);
            var (me, ce) = MomentErrors(gmm, x);
            double covTol = n == 18 ? tc + 0.15 * MaxVariance(gmm) : tc;
            TestContext.Out.WriteLine($"Heun, {HeunSolver.NfeFor(sigmas)} NFE, {Points} points: mean error {me:F4} (tol {tm:F4}), covariance error {ce:F4} (tol {covTol:F4})");
            Assert.That(me, Is.LessThan(tm), $"{n} points");
            Assert.That(ce, Is.LessThan(covTol), $"{n} points");
        }
        Assert.That(HeunSolver.NfeFor(KarrasSchedule.Sigmas(18)), Is.EqualTo(35));
    }

    private static double MaxVariance(GaussianMixture gmm)
    {
        var c = gmm.Covariance();
        return Math.Max(c[0, 0], c[1, 1]);
    }

    [Test]
    public void EdmStochasticSamplerMatchesGmmMoments()
    {
        var gmm = TestMixtures.SmoothTwoD();
        var (tm, tc) = Tolerances(gmm, Points);
        using var xT = randn(new long[] { Points, 2 }, ScalarType.Float64, generator: new Generator(77)).Times(80.0);
        TestContext.Out.WriteLine("| sampler | S_churn | NFE | mean error | covariance error |");
        TestContext.Out.WriteLine("|---|---:|---:|---:|---:|");
        foreach (int steps in new[] { 18, 40 })
        foreach (double churn in new[] { 0.0, 2.0, 5.0, 40.0 })
        {
            var sigmas = KarrasSchedule.Sigmas(steps);
            using var x = EdmStochasticSampler.Sample(gmm.AsDenoiser(), xT, sigmas, sChurn: churn, sTmin: 0.05, sTmax: 50,
                sNoise: 1.0, generator: new Generator(5));
            var (me, ce) = MomentErrors(gmm, x);
            TestContext.Out.WriteLine($"| EDM stochastic | {churn} | {EdmStochasticSampler.NfeFor(sigmas)} | {me:F4} | {ce:F4} |");
            if (steps < 40) continue; // 18 steps are shown, not asserted: churn needs more steps (see RESULTS.md)
            Assert.That(me, Is.LessThan(tm), $"S_churn = {churn}, {steps} steps");
            Assert.That(ce, Is.LessThan(tc), $"S_churn = {churn}, {steps} steps");
        }
        // Few-step deterministic solvers for the same table.
        foreach (int n in new[] { 4, 8, 18 })
        {
            var s = KarrasSchedule.Sigmas(n);
            using var e = EulerSolver.Sample(gmm.AsDenoiser(), xT, s);
            using var d = DpmSolverPlusPlus2M.Sample(gmm.AsDenoiser(), xT, s);
            using var h = HeunSolver.Sample(gmm.AsDenoiser(), xT, s);
            var (me1, ce1) = MomentErrors(gmm, e);
            var (me2, ce2) = MomentErrors(gmm, d);
            var (me3, ce3) = MomentErrors(gmm, h);
            TestContext.Out.WriteLine($"| Euler | – | {EulerSolver.NfeFor(s)} | {me1:F4} | {ce1:F4} |");
            TestContext.Out.WriteLine($"| DPM-Solver++(2M) | – | {DpmSolverPlusPlus2M.NfeFor(s)} | {me2:F4} | {ce2:F4} |");
            TestContext.Out.WriteLine($"| Heun | – | {HeunSolver.NfeFor(s)} | {me3:F4} | {ce3:F4} |");
        }
    }
}
