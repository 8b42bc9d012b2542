using ConsistencyModels.Naming;
using ConsistencyModels.Losses;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Losses;

/// <summary>The per-sample distances and the weightings against hand-worked values.</summary>
public class DistanceMetricTests
{
    // Two samples of 4 elements each (shape [2, 1, 2, 2]); differences a − b by hand:
    // sample 0: (1, −2, 0, 3)   → Σd² = 14, Σ|d| = 6
    // sample 1: (0.5, 0.5, −1, 0) → Σd² = 1.5, Σ|d| = 2
    private static readonly double[] A = { 1, 0, 2, 4, 1.5, 0.5, -1, 2 };
    private static readonly double[] B = { 0, 2, 2, 1, 1, 0, 0, 2 };

    private static double[] Run(DistanceMetricKind kind)
    {
        using var a = tensor(A, new long[] { 2, 1, 2, 2 }, ScalarType.Float64);
        using var b = tensor(B, new long[] { 2, 1, 2, 2 }, ScalarType.Float64);
        using var d = DistanceMetric.PerSample(kind, a, b);
        Assert.That(d.shape, Is.EqualTo(new long[] { 2 }));
        return d.data<double>().ToArray();
    }

    [Test]
    public void L2IsTheMeanSquaredDifferencePerSample() =>
        Assert.That(Run(DistanceMetricKind.L2), Is.EqualTo(new[] { 14.0 / 4, 1.5 / 4 }).Within(1e-12));

    [Test]
    public void L1IsTheMeanAbsoluteDifferencePerSample() =>
        Assert.That(Run(DistanceMetricKind.L1), Is.EqualTo(new[] { 6.0 / 4, 2.0 / 4 }).Within(1e-12));

    [Test]
    public void PseudoHuberUsesTheSumAndCOf0_00054SqrtDim()
    {
        double c = 0.00054 * 2; // √4 = 2
        Assert.That(DistanceMetric.PseudoHuberC(4), Is.EqualTo(c).Within(1e-15));
        Assert.That(DistanceMetric.PseudoHuberC(3 * 64 * 64), Is.EqualTo(0.00054 * Math.Sqrt(12288)).Within(1e-15));
        var expected = new[] { Math.Sqrt(14 + c * c) - c, Math.Sqrt(1.5 + c * c) - c };
        Assert.That(Run(DistanceMetricKind.PseudoHuber), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void PseudoHuberOfEqualInputsIsZero()
    {
        using var a = tensor(A, new long[] { 2, 1, 2, 2 }, ScalarType.Float64);
        using var d = DistanceMetric.PerSample(DistanceMetricKind.PseudoHuber, a, a);
        Assert.That(d.abs().max().item<double>(), Is.LessThan(1e-15));
    }

    [Test]
    public void ShapeMismatchIsRejected()
    {
        using var a = zeros(2, 4);
        using var b = zeros(2, 5);
        Assert.Throws<ArgumentException>(() => DistanceMetric.PerSample(DistanceMetricKind.L2, a, b).Dispose());
    }

    [TestCase("l2", DistanceMetricKind.L2)]
    [TestCase("L1", DistanceMetricKind.L1)]
    [TestCase("pseudo-huber", DistanceMetricKind.PseudoHuber)]
    [TestCase("Pseudo-Huber", DistanceMetricKind.PseudoHuber)]
    public void ParsesNamesAndRoundTrips(string name, DistanceMetricKind kind)
    {
        Assert.That(EnumNames.Parse<DistanceMetricKind>(name), Is.EqualTo(kind));
        Assert.That(EnumNames.Parse<DistanceMetricKind>(EnumNames.Of(kind)), Is.EqualTo(kind));
    }

    [TestCase("l3")]
    [TestCase("")]
    [TestCase("lpips")]
    public void UnknownMetricNamesTheInputAndTheChoices(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => EnumNames.Parse<DistanceMetricKind>(name));
        Assert.That(e!.Message, Does.Contain($"'{name}'").And.Contain("l2").And.Contain("pseudo-huber"));
    }
}

/// <summary>λ(σ) by hand for every weighting kind.</summary>
public class LossWeightingTests
{
    // σ = 0.5 → SNR 4; σ = 2 → SNR 0.25; σ = 0.1 → SNR 100.
    [TestCase(LossWeightingKind.Uniform, 0.5, new[] { 1.0, 1.0, 1.0 })]
    [TestCase(LossWeightingKind.Snr, 0.5, new[] { 4.0, 0.25, 100.0 })]
    [TestCase(LossWeightingKind.SnrPlusOne, 0.5, new[] { 5.0, 1.25, 101.0 })]
    [TestCase(LossWeightingKind.Karras, 0.5, new[] { 8.0, 4.25, 104.0 })]
    [TestCase(LossWeightingKind.Karras, 1.0, new[] { 5.0, 1.25, 101.0 })]
    [TestCase(LossWeightingKind.TruncatedSnr, 0.5, new[] { 4.0, 1.0, 100.0 })]
    public void MatchesHandValues(LossWeightingKind kind, double sigmaData, double[] expected)
    {
        using var sigma = tensor(new[] { 0.5, 2.0, 0.1 }, ScalarType.Float64);
        using var w = LossWeighting.Compute(kind, sigma, sigmaData);
        Assert.That(w.data<double>().ToArray(), Is.EqualTo(expected).Within(1e-9));
    }

    [TestCase("uniform", LossWeightingKind.Uniform)]
    [TestCase("snr", LossWeightingKind.Snr)]
    [TestCase("SNR+1", LossWeightingKind.SnrPlusOne)]
    [TestCase("karras", LossWeightingKind.Karras)]
    [TestCase("truncated-snr", LossWeightingKind.TruncatedSnr)]
    [TestCase("inverse-step", LossWeightingKind.InverseStep)]
    public void ParsesNamesAndRoundTrips(string name, LossWeightingKind kind)
    {
        Assert.That(EnumNames.Parse<LossWeightingKind>(name), Is.EqualTo(kind));
        Assert.That(EnumNames.Parse<LossWeightingKind>(EnumNames.Of(kind)), Is.EqualTo(kind));
    }

    [Test]
    public void InverseStepIsOneOverTheGapToTheNextLevelAndNeedsIt()
    {
        using var sigma = tensor(new[] { 0.5, 2.0, 80.0 }, ScalarType.Float64);
        using var next = tensor(new[] { 0.25, 1.5, 60.0 }, ScalarType.Float64);
        using var w = LossWeighting.Compute(LossWeightingKind.InverseStep, sigma, sigmaNext: next);
        Assert.That(w.data<double>().ToArray(), Is.EqualTo(new[] { 4.0, 2.0, 0.05 }).Within(1e-12));
        Assert.Throws<ArgumentException>(() => LossWeighting.Compute(LossWeightingKind.InverseStep, sigma).Dispose());
        Assert.That(LossWeighting.NeedsStep(LossWeightingKind.InverseStep), Is.True);
        Assert.That(Enum.GetValues<LossWeightingKind>().Count(LossWeighting.NeedsStep), Is.EqualTo(1));
    }

    [Test]
    public void LossesWithoutANextLevelRefuseInverseStep()
    {
        var e = Assert.Throws<ArgumentException>(() => new ProgressiveDistillationLoss(DistanceMetricKind.L2, LossWeightingKind.InverseStep));
        Assert.That(e!.Message, Does.Contain("inverse-step"));
        Assert.Throws<ArgumentException>(() => new DirectConsistencyDistillationLoss([80.0, 1.0, 0.002], DistanceMetricKind.L2, LossWeightingKind.InverseStep));
        Assert.Throws<ArgumentException>(() => new RectifiedDiffusionLoss(s => s, 0.002, 80, DistanceMetricKind.L2, LossWeightingKind.InverseStep));
    }

    [TestCase("snr+2")]
    [TestCase("min-snr")]
    public void UnknownWeightingNamesTheInputAndTheChoices(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => EnumNames.Parse<LossWeightingKind>(name));
        Assert.That(e!.Message, Does.Contain($"'{name}'").And.Contain("truncated-snr"));
    }
}
