using ConsistencyModels.Schedules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Schedules;

/// <summary>iCT's noise-index distribution: normalization, shape, and sampling frequencies.</summary>
public class IctNoiseIndexDistributionTests
{
    [TestCase(0.5, 0.5204998778130465)]
    [TestCase(1.0, 0.8427007929497149)]
    [TestCase(2.0, 0.9953222650189527)]
    [TestCase(-0.3, -0.3286267594591274)]
    [TestCase(3.5, 0.9999992569016276)]
    [TestCase(5.5, 0.9999999999999927)]
    public void ErfMatchesReferenceValues(double x, double expected) =>
        Assert.That(SpecialFunctions.Erf(x), Is.EqualTo(expected).Within(2e-15));

    [Test]
    public void ProbabilitiesSumToOneAndFollowTheLognormal()
    {
        var dist = IctNoiseIndexDistribution.ForKarras(11);
        Assert.That(dist.Probabilities.Sum(), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(dist.Sigmas[0], Is.EqualTo(0.002));
        Assert.That(dist.Sigmas[^1], Is.EqualTo(80.0));
        // Hand check on a 3-point grid σ = (e^{−1.1}, e^{0.9}, e^{2.9}): arguments (ln σ + 1.1)/(2√2) = 0, 0.7071, 1.4142;
        // erf = 0, 0.6826895, 0.9544997 (the 1σ and 2σ normal masses), so p ∝ (0.6826895, 0.2718102) = (0.715233, 0.284767).
        var d3 = new IctNoiseIndexDistribution(new[] { Math.Exp(-1.1), Math.Exp(0.9), Math.Exp(2.9) });
        Assert.That(d3.Probabilities[0], Is.EqualTo(0.6826895 / 0.9544997).Within(1e-6));
        Assert.That(d3.Probabilities[1], Is.EqualTo(0.2718102 / 0.9544997).Within(1e-6));
        // The mode sits at the interval containing e^{P_mean} ≈ 0.33.
        int mode = Enumerable.Range(0, 10).MaxBy(i => dist.Probabilities[i] / (Math.Log(dist.Sigmas[i + 1]) - Math.Log(dist.Sigmas[i])));
        Assert.That(dist.Sigmas[mode], Is.LessThan(0.33 * 3));
        Assert.That(dist.Sigmas[mode + 1], Is.GreaterThan(0.33 / 3));
    }

    [Test]
    public void SamplingFrequenciesMatchProbabilities()
    {
        var dist = IctNoiseIndexDistribution.ForKarras(11);
        const int n = 200_000;
        var counts = new int[10];
        foreach (int i in dist.Sample(new Random(123), n)) counts[i]++;
        using var t = dist.Sample(new Generator(5), n);
        var tc = new int[10];
        foreach (long i in t.data<long>()) tc[i]++;
        for (int i = 0; i < 10; i++)
        {
            double p = dist.Probabilities[i];
            double tol = 5 * Math.Sqrt(p * (1 - p) / n) + 1e-9; // 5 binomial standard errors
            Assert.That((double)counts[i] / n, Is.EqualTo(p).Within(tol), $"Random sampler, index {i}");
            Assert.That((double)tc[i] / n, Is.EqualTo(p).Within(tol), $"torch sampler, index {i}");
        }
    }

    [Test]
    public void IntervalsMapToTheDecreasingKarrasGrid()
    {
        var dist = IctNoiseIndexDistribution.ForKarras(11);
        var karras = KarrasSchedule.Sigmas(11, appendZero: false);
        Assert.That(dist.Interval(0), Is.EqualTo((0.002, karras[9])));
        Assert.That(dist.Interval(9), Is.EqualTo((karras[1], 80.0)));
        for (int i = 0; i < 10; i++) Assert.That(dist.Interval(i), Is.EqualTo((karras[10 - i], karras[9 - i])));
        Assert.Throws<ArgumentOutOfRangeException>(() => dist.Interval(10));
    }

    [Test]
    public void BadGridsThrow()
    {
        Assert.Throws<ArgumentException>(() => new IctNoiseIndexDistribution(new[] { 1.0 }));
        var ex = Assert.Throws<ArgumentException>(() => new IctNoiseIndexDistribution(new[] { 1.0, 0.5 }));
        Assert.That(ex!.Message, Does.Contain("strictly increasing"));
        Assert.Throws<ArgumentException>(() => new IctNoiseIndexDistribution(new[] { 0.0, 0.5 }));
    }
}
