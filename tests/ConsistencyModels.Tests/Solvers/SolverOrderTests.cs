using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Tests.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Solvers;

/// <summary>
/// Global error at σ = 0 of each deterministic solver against <see cref="ExactOdeSolution"/> on the 2-D GMM,
/// over several step counts: the fitted log–log slope must match the solver's order. Prints the table
/// (docs/RESULTS.md, "Solvers on the exact GMM oracle").
/// The grid is Karras (σmax = 80, ρ = 7) with σmin = 1e-5 then 0: the last step σmin → 0 lands on D for every
/// solver, an error of O(σmin²) that would otherwise set a floor (≈ 4e-6 at σmin = 0.002) under the slopes.
/// </summary>
public class SolverOrderTests
{
    private const double SigmaMin = 1e-5;
    private GaussianMixture _gmm = null!;
    private Tensor _xT = null!;
    private Tensor _exact = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _gmm = TestMixtures.TwoD();
        _xT = randn(new long[] { 64, 2 }, ScalarType.Float64, generator: new Generator(2024)).Times(KarrasSchedule.DefaultSigmaMax);
        using var r = ExactOdeSolution.Solve(_gmm.AsDenoiser(), _xT, KarrasSchedule.DefaultSigmaMax, 0.0);
        TestContext.Progress.WriteLine($"exact reference: estimate {r.ErrorEstimate:E1}, {r.Nfe} evaluations");
        _exact = r.X.clone();
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _xT.Dispose();
        _exact.Dispose();
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("Euler", 1.0, new[] { 32, 64, 128, 256, 512 }).SetName("SolverOrder_Euler");
        yield return new TestCaseData("Heun", 2.0, new[] { 16, 32, 64, 128, 256 }).SetName("SolverOrder_Heun");
        yield return new TestCaseData("DPM-Solver++(2M)", 2.0, new[] { 16, 32, 64, 128, 256 }).SetName("SolverOrder_DpmSolverPlusPlus2M");
        yield return new TestCaseData("DDIM", 1.0, new[] { 32, 64, 128, 256, 512 }).SetName("SolverOrder_Ddim");
    }

    private Tensor Run(string solver, double[] sigmas) => solver switch
    {
        "Euler" => EulerSolver.Sample(_gmm.AsDenoiser(), _xT, sigmas),
        "Heun" => HeunSolver.Sample(_gmm.AsDenoiser(), _xT, sigmas),
        "DPM-Solver++(2M)" => DpmSolverPlusPlus2M.Sample(_gmm.AsDenoiser(), _xT, sigmas),
        "DDIM" => DdimSolver.Sample(_gmm.AsDenoiser(), _xT, sigmas),
        _ => throw new ArgumentException(solver),
    };

    private static int Nfe(string solver, double[] sigmas) => solver switch
    {
        "Euler" => EulerSolver.NfeFor(sigmas),
        "Heun" => HeunSolver.NfeFor(sigmas),
        "DPM-Solver++(2M)" => DpmSolverPlusPlus2M.NfeFor(sigmas),
        _ => DdimSolver.NfeFor(sigmas),
    };

    [TestCaseSource(nameof(Cases))]
    public void GlobalErrorFallsAtTheSolversOrder(string solver, double order, int[] steps)
    {
        var logN = new List<double>();
        var logE = new List<double>();
        TestContext.Out.WriteLine($"| {solver} | steps N | NFE | max-abs error at σ=0 | RMS error |");
        TestContext.Out.WriteLine("|---|---:|---:|---:|---:|");
        foreach (int n in steps)
        {
            // N steps = N nonzero grid points + the final step to 0.
            var sigmas = KarrasSchedule.Sigmas(n, SigmaMin);
            using var x = Run(solver, sigmas);
            using var diff = x - _exact;
            double maxErr = diff.abs().max().item<double>();
            double rms = diff.Square().mean().sqrt().item<double>();
            TestContext.Out.WriteLine($"| {solver} | {n} | {Nfe(solver, sigmas)} | {maxErr:E2} | {rms:E2} |");
            logN.Add(Math.Log(n));
            logE.Add(Math.Log(rms));
        }
        double slope = Slope(logN, logE);
        TestContext.Out.WriteLine($"{solver}: fitted log–log slope of RMS error vs N = {slope:F3} (expected −{order})");
        Assert.That(-slope, Is.EqualTo(order).Within(0.25));
    }

    /// <summary>Least-squares slope of y on x.</summary>
    internal static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        return sxy / sxx;
    }
}
