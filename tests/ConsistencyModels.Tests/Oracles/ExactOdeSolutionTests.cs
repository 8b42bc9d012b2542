using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Oracles;

/// <summary>The reference PF-ODE solver against the closed-form Gaussian flow, and its own precision claim.</summary>
public class ExactOdeSolutionTests
{
    /// <summary>For one Gaussian N(μ, s²) the PF-ODE flow is x(σ) − μ = (x(σ₀) − μ)·√(s² + σ²)/√(s² + σ₀²) per dimension.</summary>
    [TestCase(80.0, 0.0)]
    [TestCase(80.0, 0.002)]
    [TestCase(0.5, 20.0)]
    public void MatchesTheClosedFormGaussianFlow(double sigma0, double sigma1)
    {
        double[] mu = { 0.7, -0.2 }, s = { 0.3, 0.6 };
        var g = new GaussianMixture(new[] { 1.0 }, new double[,] { { mu[0], mu[1] } }, new double[,] { { s[0], s[1] } });
        using var x0 = randn(new long[] { 8, 2 }, ScalarType.Float64, generator: new Generator(2)).Times(sigma0);
        using var r = ExactOdeSolution.Solve(g.AsDenoiser(), x0, sigma0, sigma1);
        var xs = x0.data<double>().ToArray();
        var ys = r.X.data<double>().ToArray();
        double maxErr = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            int d = i % 2;
            double exact = mu[d] + (xs[i] - mu[d]) * Math.Sqrt(s[d] * s[d] + sigma1 * sigma1) / Math.Sqrt(s[d] * s[d] + sigma0 * sigma0);
            maxErr = Math.Max(maxErr, Math.Abs(ys[i] - exact));
        }
        TestContext.Out.WriteLine($"σ {sigma0} → {sigma1}: max error {maxErr:E2}, estimate {r.ErrorEstimate:E2}, NFE {r.Nfe}");
        Assert.That(maxErr, Is.LessThan(1e-10));
        Assert.That(r.ErrorEstimate, Is.LessThan(1e-9));
    }

    [Test]
    public void GmmSolutionIsConvergedBelow1e9()
    {
        var g = TestMixtures.TwoD();
        using var x0 = randn(new long[] { 8, 2 }, ScalarType.Float64, generator: new Generator(4)).Times(80.0);
        using var a = ExactOdeSolution.Solve(g.AsDenoiser(), x0, 80.0, 0.0);
        using var b = ExactOdeSolution.Solve(g.AsDenoiser(), x0, 80.0, 0.0, stepsPerUnit: 160, sigmaFloor: 1e-7);
        double diff = (a.X - b.X).abs().max().item<double>();
        TestContext.Out.WriteLine($"step-doubling estimate {a.ErrorEstimate:E2}; vs 160 steps/unit and 10× lower floor: {diff:E2}; NFE {a.Nfe}");
        Assert.That(a.ErrorEstimate, Is.LessThan(1e-9));
        Assert.That(diff, Is.LessThan(1e-9));
    }

    [Test]
    public void PerSampleStartsMatchScalarSolves()
    {
        var g = TestMixtures.TwoD();
        double[] starts = { 0.05, 1.0, 20.0 };
        using var s = tensor(starts, ScalarType.Float64);
        using var x = randn(new long[] { 3, 2 }, ScalarType.Float64, generator: new Generator(12)) * s.view(-1, 1);
        using var batch = ExactOdeSolution.Solve(g.AsBatchDenoiser(), x, s, 0.002, stepsPerUnit: 64);
        for (int i = 0; i < 3; i++)
        {
            using var xi = x[i].unsqueeze(0);
            using var one = ExactOdeSolution.Solve(g.AsDenoiser(), xi, starts[i], 0.002, stepsPerUnit: 64);
            double diff = (batch.X[i].unsqueeze(0) - one.X).abs().max().item<double>();
            Assert.That(diff, Is.LessThan(1e-9), $"sample {i}, σ_start = {starts[i]}");
        }
        Assert.That(batch.ErrorEstimate, Is.LessThan(1e-9));
        using var bad = ones(2, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => ExactOdeSolution.Solve(g.AsBatchDenoiser(), x, bad, 0.0));
    }
}
