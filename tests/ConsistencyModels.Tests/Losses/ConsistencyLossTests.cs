using ConsistencyModels.Losses;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Losses;

/// <summary>
/// CD, direct CD and CT/iCT on the single-Gaussian oracle: with the exact consistency function and the exact ODE
/// step the losses vanish; with known perturbations they match hand computations element by element.
/// </summary>
public class ConsistencyLossTests
{
    private static readonly SingleGaussian G = SingleGaussian.Small();
    private static readonly double[] Grid = KarrasSchedule.Sigmas(8, 0.002, 80.0, 7.0, appendZero: false);
    private static double Eps => Grid[^1];

    private static Tensor X0(int batch, ulong seed) => G.Sample(batch, new Generator(seed));

    private static Tensor Z(int batch, ulong seed) =>
        randn(new long[] { batch, 2, 2, 2 }, ScalarType.Float64, generator: new Generator(seed));

    private static ConditionedModel FStar => (x, sigma, _) => G.ConsistencyFunction(x, sigma, Eps);

    private static OdeStep ExactStep => (x, s, sn, _) => G.Flow(x, s, sn);

    private static double Weight(LossWeightingKind kind, double sigma, double sd = 0.5) => kind switch
    {
        LossWeightingKind.Uniform => 1,
        LossWeightingKind.Snr => 1 / (sigma * sigma),
        LossWeightingKind.SnrPlusOne => 1 / (sigma * sigma) + 1,
        LossWeightingKind.Karras => 1 / (sigma * sigma) + 1 / (sd * sd),
        _ => Math.Max(1 / (sigma * sigma), 1),
    };

    private static double Distance(DistanceMetricKind kind, double[] diff) => kind switch
    {
        DistanceMetricKind.L2 => diff.Sum(d => d * d) / diff.Length,
        DistanceMetricKind.L1 => diff.Sum(Math.Abs) / diff.Length,
        _ => Math.Sqrt(diff.Sum(d => d * d) + Math.Pow(0.00054 * Math.Sqrt(diff.Length), 2)) - 0.00054 * Math.Sqrt(diff.Length),
    };

    [TestCase(DistanceMetricKind.L2)]
    [TestCase(DistanceMetricKind.L1)]
    [TestCase(DistanceMetricKind.PseudoHuber)]
    public void CdLossIsZeroForTheExactConsistencyFunctionAndExactTeacher(DistanceMetricKind metric)
    {
        var loss = new ConsistencyDistillationLoss(Grid, metric, LossWeightingKind.Snr);
        using var x0 = X0(16, 1);
        using var idx = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % (Grid.Length - 1))).ToArray());
        using var z = Z(16, 2);
        using var value = loss.Compute(FStar, FStar, ExactStep, x0, null, idx, z);
        // The sampling overload too (random n and z).
        using var sampled = loss.Compute(FStar, FStar, ExactStep, x0, null, new Generator(3));
        TestContext.Out.WriteLine($"{metric}: {value.item<double>():E2}, sampled {sampled.item<double>():E2}");
        Assert.That(value.item<double>(), Is.LessThan(metric == DistanceMetricKind.L2 ? 1e-20 : 1e-10));
        Assert.That(sampled.item<double>(), Is.LessThan(metric == DistanceMetricKind.L2 ? 1e-20 : 1e-10));
    }

    [TestCase(DistanceMetricKind.L2, LossWeightingKind.Uniform)]
    [TestCase(DistanceMetricKind.L1, LossWeightingKind.Snr)]
    [TestCase(DistanceMetricKind.PseudoHuber, LossWeightingKind.Karras)]
    [TestCase(DistanceMetricKind.L2, LossWeightingKind.TruncatedSnr)]
    [TestCase(DistanceMetricKind.L2, LossWeightingKind.SnrPlusOne)]
    public void CdLossWithAPerturbedStudentMatchesAHandComputation(DistanceMetricKind metric, LossWeightingKind weighting)
    {
        var loss = new ConsistencyDistillationLoss(Grid, metric, weighting);
        const int batch = 5;
        long[] n = { 0, 2, 6, 3, 5 };
        using var x0 = X0(batch, 4);
        using var idx = tensor(n);
        using var z = Z(batch, 5);
        // Student = f* + 0.05·x: the loss is λ(σ_n)·d(0.05·(x₀ + σ_n z)) by hand, and only if the student sees
        // x₀ + σ_n z at σ_n while the target sees the exact step at σ_{n+1}.
        ConditionedModel student = (x, s, _) => G.ConsistencyFunction(x, s, Eps).Plus(x.Times(0.05));
        using var value = loss.Compute(student, FStar, ExactStep, x0, null, idx, z);
        var xs = x0.data<double>().ToArray();
        var zs = z.data<double>().ToArray();
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double sigma = Grid[n[b]];
            var diff = new double[G.Dim];
            for (int i = 0; i < G.Dim; i++) diff[i] = 0.05 * (xs[b * G.Dim + i] + sigma * zs[b * G.Dim + i]);
            total += Weight(weighting, sigma) * Distance(metric, diff);
        }
        double expected = total / batch;
        TestContext.Out.WriteLine($"{metric}/{weighting}: {value.item<double>():G10} vs hand {expected:G10}");
        Assert.That(value.item<double>(), Is.EqualTo(expected).Within(1e-9 * Math.Abs(expected)));
    }

    [Test]
    public void CdLossHasTheTeacherTargetUnderStopGradient()
    {
        var loss = new ConsistencyDistillationLoss(Grid, DistanceMetricKind.L2, LossWeightingKind.Uniform);
        using var x0 = X0(4, 6);
        using var idx = tensor(new long[] { 1, 3, 5, 6 });
        using var z = Z(4, 7);
        using var p = tensor(1.3, ScalarType.Float64).requires_grad_(true);
        // Student and target share the parameter p: with a stop-gradient target only the student term
        // contributes, d/dp mean((p·x − p·x̂)²) = mean(2(p·x − p·x̂)·x).
        ConditionedModel model = (x, _, _) => p * x;
        using var value = loss.Compute(model, model, ExactStep, x0, null, idx, z);
        value.backward();
        double grad = p.grad!.item<double>();
        using var noGrad = no_grad();
        var sigma = tensor(new[] { Grid[1], Grid[3], Grid[5], Grid[6] }, ScalarType.Float64);
        var sigmaNext = tensor(new[] { Grid[2], Grid[4], Grid[6], Grid[7] }, ScalarType.Float64);
        var x = x0.Plus(sigma.reshape(4, 1, 1, 1) * z);
        var xHat = G.Flow(x, sigma, sigmaNext);
        double expected = ((x.Times(1.3) - xHat.Times(1.3)).Times(2) * x).mean().item<double>();
        Assert.That(grad, Is.EqualTo(expected).Within(1e-9 * Math.Abs(expected)));
    }

    [Test]
    public void CdIndicesCoverZeroToNMinus2()
    {
        var loss = new ConsistencyDistillationLoss(Grid, DistanceMetricKind.L2, LossWeightingKind.Uniform);
        using var idx = loss.SampleIndices(2000, new Generator(8));
        Assert.That(idx.min().item<long>(), Is.EqualTo(0));
        Assert.That(idx.max().item<long>(), Is.EqualTo(Grid.Length - 2));
    }

    [Test]
    public void CdRejectsAGridThatIsNotDecreasing()
    {
        Assert.Throws<ArgumentException>(() => new ConsistencyDistillationLoss(new[] { 1.0, 2.0 }, DistanceMetricKind.L2, LossWeightingKind.Uniform));
        Assert.Throws<ArgumentException>(() => new ConsistencyDistillationLoss(new[] { 1.0, 0.0 }, DistanceMetricKind.L2, LossWeightingKind.Uniform));
        Assert.Throws<ArgumentException>(() => new ConsistencyDistillationLoss(new[] { 1.0 }, DistanceMetricKind.L2, LossWeightingKind.Uniform));
    }

    [Test]
    public void DirectCdSolvesEachSampleFromItsOwnIndexToEpsilon()
    {
        var loss = new DirectConsistencyDistillationLoss(Grid, DistanceMetricKind.L2, LossWeightingKind.Uniform);
        long[] n = { 0, 3, Grid.Length - 1, Grid.Length - 2, 5 };
        using var x0 = X0(n.Length, 9);
        using var z = Z(n.Length, 10);
        using var sigma = tensor(n.Select(i => Grid[i]).ToArray(), ScalarType.Float64);
        using var x = x0.Plus(sigma.reshape(-1, 1, 1, 1) * z);
        using var idx = tensor(n);
        int calls = 0;
        long rows = 0;
        OdeStep counted = (xx, s, sn, l) => { calls++; rows += xx.shape[0]; return G.Flow(xx, s, sn); };
        using var solved = loss.SolveToEpsilon(counted, x, idx, null);
        using var exact = G.ConsistencyFunction(x, sigma, Eps);
        double err = (solved - exact).abs().max().item<double>();
        TestContext.Out.WriteLine($"max |Φ − f*| = {err:E2}, teacher calls {calls}");
        Assert.That(err, Is.LessThan(1e-12));
        Assert.That(calls, Is.EqualTo(Grid.Length - 1), "the longest path (from σ_0) takes N−1 steps");
        Assert.That(rows, Is.EqualTo(n.Sum(i => Grid.Length - 1 - i)), "the teacher sees each sample once per remaining step, no more");
        // A sample already at ε is returned unchanged.
        Assert.That((solved[2] - x[2]).abs().max().item<double>(), Is.EqualTo(0.0));

        using var zeroLoss = loss.Compute(FStar, x, sigma, solved, null);
        Assert.That(zeroLoss.item<double>(), Is.LessThan(1e-20));
        // Student f* + 0.1 gives l2 = 0.01 for every sample.
        ConditionedModel shifted = (xx, s, _) => G.ConsistencyFunction(xx, s, Eps).Plus(0.1);
        using var shiftLoss = loss.Compute(shifted, x, sigma, solved, null);
        Assert.That(shiftLoss.item<double>(), Is.EqualTo(0.01).Within(1e-12));
    }

    [TestCase(DistanceMetricKind.L2, false)]
    [TestCase(DistanceMetricKind.PseudoHuber, true)]
    [TestCase(DistanceMetricKind.L1, true)]
    public void CtLossMatchesAHandComputationWithTheSameNoiseOnBothSides(DistanceMetricKind metric, bool ict)
    {
        var loss = new ConsistencyTrainingLoss(metric, ict ? LossWeightingKind.InverseStep : LossWeightingKind.Uniform);
        const int batch = 4;
        long[] n = { 0, 4, 6, 2 };
        using var x0 = X0(batch, 11);
        using var z = Z(batch, 12);
        using var idx = tensor(n);
        // Student 1.5·x + 0.1·σ, target x − 0.2·σ: the difference involves x₀, σ_n, σ_{n+1} and z (one z).
        ConditionedModel student = (x, s, _) => x.Times(1.5).Plus(s.reshape(-1, 1, 1, 1).Times(0.1));
        ConditionedModel target = (x, s, _) => x - s.reshape(-1, 1, 1, 1).Times(0.2);
        using var value = loss.Compute(student, target, x0, null, Grid, idx, z);
        var xs = x0.data<double>().ToArray();
        var zs = z.data<double>().ToArray();
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double s = Grid[n[b]], sn = Grid[n[b] + 1];
            var diff = new double[G.Dim];
            for (int i = 0; i < G.Dim; i++)
            {
                double x0i = xs[b * G.Dim + i], zi = zs[b * G.Dim + i];
                diff[i] = 1.5 * (x0i + s * zi) + 0.1 * s - (x0i + sn * zi - 0.2 * sn);
            }
            total += Distance(metric, diff) * (ict ? 1 / (s - sn) : 1);
        }
        double expected = total / batch;
        TestContext.Out.WriteLine($"{metric}, iCT {ict}: {value.item<double>():G10} vs hand {expected:G10}");
        Assert.That(value.item<double>(), Is.EqualTo(expected).Within(1e-9 * Math.Abs(expected)));
    }

    [Test]
    public void CtLossHonoursASigmaWeighting()
    {
        // Student = target = identity: d = mean(((σ_n − σ_{n+1})·z)²), weighted by truncated-snr max(σ_n⁻², 1).
        var loss = new ConsistencyTrainingLoss(DistanceMetricKind.L2, LossWeightingKind.TruncatedSnr);
        using var x0 = X0(2, 15);
        using var z = Z(2, 16);
        long[] n = { 0, Grid.Length - 2 };
        using var idx = tensor(n);
        ConditionedModel id = (x, _, _) => x.alias();
        using var value = loss.Compute(id, id, x0, null, Grid, idx, z);
        var zs = z.data<double>().ToArray();
        double total = 0;
        for (int b = 0; b < 2; b++)
        {
            double s = Grid[n[b]], gap = s - Grid[n[b] + 1];
            double mean = Enumerable.Range(0, G.Dim).Average(i => gap * gap * zs[b * G.Dim + i] * zs[b * G.Dim + i]);
            total += Math.Max(1 / (s * s), 1) * mean;
        }
        Assert.That(value.item<double>(), Is.EqualTo(total / 2).Within(1e-9 * total));
    }

    [Test]
    public void CtLossOfAnIdentityModelIsTheGapTimesTheNoise()
    {
        // Student = target = identity: d = d((σ_n − σ_{n+1})·z); any second noise draw would show up here.
        var loss = new ConsistencyTrainingLoss(DistanceMetricKind.L2, LossWeightingKind.InverseStep);
        using var x0 = X0(3, 13);
        using var z = Z(3, 14);
        using var idx = tensor(new long[] { 1, 1, 1 });
        ConditionedModel id = (x, _, _) => x.alias();
        using var value = loss.Compute(id, id, x0, null, Grid, idx, z);
        double gap = Grid[1] - Grid[2];
        double expected = gap * z.Square().mean().item<double>(); // gap²·mean(z²) / gap
        Assert.That(value.item<double>(), Is.EqualTo(expected).Within(1e-9 * expected));
    }
}
