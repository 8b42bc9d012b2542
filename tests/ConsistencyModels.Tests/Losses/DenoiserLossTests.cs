using ConsistencyModels.Diffusion;
using ConsistencyModels.Losses;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Losses;

/// <summary>Progressive distillation, rectified diffusion and the EDM loss on the single-Gaussian oracle.</summary>
public class DenoiserLossTests
{
    private static readonly SingleGaussian G = SingleGaussian.Small();

    private static Tensor Z(int batch, ulong seed) =>
        randn(new long[] { batch, 2, 2, 2 }, ScalarType.Float64, generator: new Generator(seed));

    [Test]
    public void ProgressiveTargetMakesOneEulerStepLandOnTheTwoStepResult()
    {
        using var xt = Z(4, 1).Times(3.0);
        using var xs = Z(4, 2);
        using var t = tensor(new[] { 5.0, 1.0, 0.3, 0.05 }, ScalarType.Float64);
        using var s = tensor(new[] { 2.0, 0.4, 0.0, 0.01 }, ScalarType.Float64);
        using var target = ProgressiveDistillationLoss.Target(xt, xs, t, s);
        // Euler with D = target: x' = x_t + (s − t)·(x_t − D)/t.
        var tb = t.reshape(-1, 1, 1, 1);
        using var landed = xt.Plus((s.reshape(-1, 1, 1, 1) - tb) * (xt - target) / tb);
        Assert.That((landed - xs).abs().max().item<double>(), Is.LessThan(1e-12));
        // s = 0: the target is x_s itself.
        Assert.That((target[2] - xs[2]).abs().max().item<double>(), Is.LessThan(1e-15));
    }

    private static readonly double[] TeacherGrid = KarrasSchedule.Sigmas(4, 0.002, 80.0, 7.0, appendZero: true); // 4 steps, 5 values

    private static OdeStep EulerOfExactDenoiser => (x, s, sn, _) =>
    {
        using var d = G.Denoise(x, s);
        var sb = s.reshape(-1, 1, 1, 1);
        return x.Plus((sn.reshape(-1, 1, 1, 1) - sb) * (x - d) / sb);
    };

    [Test]
    public void ProgressiveLossOfAZeroStudentMatchesHandEulerSteps()
    {
        var loss = new ProgressiveDistillationLoss(); // l2, truncated SNR
        long[] i = { 0, 1, 1, 0 };
        using var x0 = G.Sample(4, new Generator(3));
        using var z = Z(4, 4);
        ConditionedModel zero = (x, _, _) => zeros_like(x);
        using var value = loss.Compute(zero, EulerOfExactDenoiser, x0, null, TeacherGrid, tensor(i), z);
        var xs0 = x0.data<double>().ToArray();
        var zs = z.data<double>().ToArray();
        double total = 0;
        for (int b = 0; b < 4; b++)
        {
            double t = TeacherGrid[2 * i[b]], u = TeacherGrid[2 * i[b] + 1], s = TeacherGrid[2 * i[b] + 2];
            double sq = 0;
            for (int e = 0; e < G.Dim; e++)
            {
                double xt = xs0[b * G.Dim + e] + t * zs[b * G.Dim + e];
                double xu = xt + (u - t) * (xt - G.Denoise(xt, e, t)) / t;
                double xs = s == 0 ? G.Denoise(xu, e, u) : xu + (s - u) * (xu - G.Denoise(xu, e, u)) / u;
                double target = xt - t * (xs - xt) / (s - t);
                sq += target * target;
            }
            total += Math.Max(1 / (t * t), 1) * sq / G.Dim;
        }
        double expected = total / 4;
        TestContext.Out.WriteLine($"progressive: {value.item<double>():G10} vs hand {expected:G10}");
        Assert.That(value.item<double>(), Is.EqualTo(expected).Within(1e-9 * expected));
    }

    [Test]
    public void ProgressiveLossIsZeroForTheStudentThatMatchesTheTwoTeacherSteps()
    {
        var loss = new ProgressiveDistillationLoss(DistanceMetricKind.PseudoHuber, LossWeightingKind.Snr);
        var teacher = EulerOfExactDenoiser;
        // The ideal student: for t = grid[2i], run the teacher's two steps itself and return the target.
        ConditionedModel student = (x, t, _) =>
        {
            var tv = t.data<double>().ToArray();
            var k = tv.Select(v => Array.IndexOf(TeacherGrid, v)).ToArray();
            Assert.That(k, Has.All.GreaterThanOrEqualTo(0), "the student's σ is a teacher grid value");
            var u = tensor(k.Select(j => TeacherGrid[j + 1]).ToArray(), ScalarType.Float64);
            var s = tensor(k.Select(j => TeacherGrid[j + 2]).ToArray(), ScalarType.Float64);
            using var xu = teacher(x, t, u, null);
            using var xs = teacher(xu, u, s, null);
            return ProgressiveDistillationLoss.Target(x, xs, t, s);
        };
        using var x0 = G.Sample(6, new Generator(5));
        using var z = Z(6, 6);
        using var value = loss.Compute(student, teacher, x0, null, TeacherGrid, tensor(new long[] { 0, 1, 0, 1, 1, 0 }), z);
        Assert.That(value.item<double>(), Is.LessThan(1e-9));
    }

    [Test]
    public void ProgressiveRejectsAGridWithAnOddStepCountOrNoFinalZero()
    {
        using var x0 = zeros(1, 2, 2, 2, ScalarType.Float64);
        using var idx = tensor(new long[] { 0 });
        var loss = new ProgressiveDistillationLoss();
        foreach (var grid in new[] { new[] { 80.0, 1.0, 0.5, 0.0 }, new[] { 80.0, 1.0, 0.5 } })
            Assert.Throws<ArgumentException>(() => loss.Compute((x, _, _) => x, EulerOfExactDenoiser, x0, null, grid, idx, x0).Dispose());
    }

    [TestCase(DistanceMetricKind.L2)]
    [TestCase(DistanceMetricKind.L1)]
    [TestCase(DistanceMetricKind.PseudoHuber)]
    public void RectifiedLossIsZeroForTheDenoiserThatReturnsThePairedSample(DistanceMetricKind metric)
    {
        var form = new FlowMatchingForm();
        var loss = new RectifiedDiffusionLoss(form.EdmSigma, 0.002, 80.0, metric);
        using var x0 = G.Sample(8, new Generator(7));
        using var eps = Z(8, 8);
        // D(x; σ) = x − σ·ε recovers x₀ only if x = x₀ + σ·ε with the paired ε.
        ConditionedModel oracle = (x, sigma, _) => x - sigma.reshape(-1, 1, 1, 1) * eps;
        using var value = loss.Compute(oracle, x0, eps, null, new Generator(9));
        Assert.That(value.item<double>(), Is.LessThan(1e-10));
        // And it is not zero for fresh noise: D = x − σ·ε' with an unrelated ε'.
        using var other = Z(8, 10);
        ConditionedModel wrong = (x, sigma, _) => x - sigma.reshape(-1, 1, 1, 1) * other;
        using var bad = loss.Compute(wrong, x0, eps, null, new Generator(9));
        Assert.That(bad.item<double>(), Is.GreaterThan(1e-3));
    }

    [Test]
    public void RectifiedSigmaIsTheClampedFormSigmaOfUniformTime()
    {
        var loss = new RectifiedDiffusionLoss(new FlowMatchingForm().EdmSigma, 0.01, 5.0);
        using var like = zeros(1, ScalarType.Float64);
        using var sigma = loss.SampleSigma(4000, like, new Generator(11));
        var v = sigma.data<double>().ToArray();
        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(0.01));
        Assert.That(v.Max(), Is.LessThanOrEqualTo(5.0));
        // P(σ ≤ 1) = P(t ≤ 0.5) = 0.5; P(σ = 5) = P(t ≥ 5/6) = 1/6 (binomial std ≈ 0.008 and 0.006).
        Assert.That(v.Count(s => s <= 1.0) / 4000.0, Is.EqualTo(0.5).Within(0.035));
        Assert.That(v.Count(s => s == 5.0) / 4000.0, Is.EqualTo(1.0 / 6).Within(0.03));
    }

    /// <summary>E[λ(σ)·(D* − x₀)²] per element = λ(σ)·s²σ²/(s² + σ²) (the posterior variance).</summary>
    private static double ExpectedEdm(double sigma, double sd = 0.5)
    {
        double lambda = (sigma * sigma + sd * sd) / (sigma * sd * sigma * sd);
        return lambda * G.S.Average(s => s * s * sigma * sigma / (s * s + sigma * sigma));
    }

    [TestCase(0.05)]
    [TestCase(0.5)]
    [TestCase(3.0)]
    public void EdmLossOfTheExactDenoiserIsThePosteriorVarianceAtFixedSigma(double sigmaValue)
    {
        const int batch = 4000; // 32000 elements: relative std of the mean ≈ √(2/32000) ≈ 0.8 %
        var loss = new EdmLoss();
        using var x0 = G.Sample(batch, new Generator(12));
        using var n = Z(batch, 13);
        using var sigma = ScalarArithmetic.Full([batch], sigmaValue, ScalarType.Float64);
        ConditionedModel exact = (x, s, _) => G.Denoise(x, s);
        using var value = loss.Compute(exact, x0, null, sigma, n);
        double expected = ExpectedEdm(sigmaValue);
        TestContext.Out.WriteLine($"σ = {sigmaValue}: {value.item<double>():G6} vs analytic {expected:G6}");
        Assert.That(value.item<double>(), Is.EqualTo(expected).Within(0.04 * expected));
    }

    [Test]
    public void EdmLossOfTheExactDenoiserMatchesTheLogNormalAverage()
    {
        // E over ln σ ~ N(−1.2, 1.2²) of λ(σ)·v(σ), by trapezoidal quadrature on ±6 std.
        double quad = 0, h = 0.01;
        for (double u = -6; u <= 6; u += h)
            quad += h * Math.Exp(-0.5 * u * u) / Math.Sqrt(2 * Math.PI) * ExpectedEdm(Math.Exp(-1.2 + 1.2 * u));
        var loss = new EdmLoss();
        using var x0 = G.Sample(4000, new Generator(14));
        ConditionedModel exact = (x, s, _) => G.Denoise(x, s);
        using var value = loss.Compute(exact, x0, null, new Generator(15));
        TestContext.Out.WriteLine($"sampled σ: {value.item<double>():G6} vs quadrature {quad:G6}");
        Assert.That(value.item<double>(), Is.EqualTo(quad).Within(0.05 * quad));
    }

    [Test]
    public void SingleGaussianOracleAgreesWithTheGaussianMixtureOracle()
    {
        var means = new double[1, G.Dim];
        var stds = new double[1, G.Dim];
        for (int i = 0; i < G.Dim; i++) { means[0, i] = G.Mu[i]; stds[0, i] = G.S[i]; }
        var gmm = new ConsistencyModels.Oracles.GaussianMixture(new[] { 1.0 }, means, stds);
        using var x = Z(5, 16).Times(2.0);
        using var sigma = tensor(new[] { 0.01, 0.3, 1.0, 4.0, 40.0 }, ScalarType.Float64);
        using var a = G.Denoise(x, sigma);
        using var b = gmm.Denoise(x, sigma);
        Assert.That((a - b).abs().max().item<double>(), Is.LessThan(1e-12));
    }
}
