using ConsistencyModels.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics;

/// <summary>
/// The real-normalized SWD sees what the per-set one cannot: blur and lost contrast of a real set must score clearly
/// worse than a disjoint real set (the floor), while the per-set variant is blind to a contrast change.
/// </summary>
public class SwdNormalizationTests
{
    private static readonly SwdOptions Options = new() { PatchesPerImage = 48, Directions = 128, Seed = 11 };
    private static readonly Scalar Half = 0.5.ToScalar();

    [Test]
    public void IdenticalSetsScoreZeroInBothNormalizationsAtEveryLevel()
    {
        using var x = MetricTestData.Crops("brick.png", 12, 40, size: 64);
        var r = SlicedWasserstein.Compute(x, x, Options);
        Assert.That(r.RealNormalized.PerLevel, Has.Count.EqualTo(3), "64 → 32 → 16");
        Assert.That(r.RealNormalized.PerLevel, Has.All.EqualTo(0).Within(1e-9));
        Assert.That(r.PerSet.PerLevel, Has.All.EqualTo(0).Within(1e-9));
    }

    [Test]
    public void BlurredCopyOfARealSetScoresClearlyWorseThanADisjointRealSet()
    {
        using var scope = torch.NewDisposeScope();
        var reference = MetricTestData.Crops("brick.png", 24, 41, size: 64);
        var disjoint = MetricTestData.Crops("brick.png", 24, 42, size: 64);
        // A 2× low-pass (pyramid down and up): the fine band loses most of its energy, coarse shapes stay.
        var blurred = SlicedWasserstein.PyrUp(SlicedWasserstein.PyrDown(disjoint), 64, 64);
        var floor = SlicedWasserstein.Compute(disjoint, reference, Options);
        var blur = SlicedWasserstein.Compute(blurred, reference, Options);
        TestContext.Out.WriteLine($"real-normalized: floor {Show(floor.RealNormalized)}, blurred {Show(blur.RealNormalized)}");
        TestContext.Out.WriteLine($"per-set:         floor {Show(floor.PerSet)}, blurred {Show(blur.PerSet)}");
        Assert.That(blur.RealNormalized.Mean, Is.GreaterThan(3 * floor.RealNormalized.Mean));
        Assert.That(blur.RealNormalized.PerLevel[0], Is.GreaterThan(5 * floor.RealNormalized.PerLevel[0]), "the finest band is where blur shows");
    }

    [Test]
    public void ContrastLossIsSeenByTheRealNormalizedSwdAndInvisibleToThePerSetOne()
    {
        using var scope = torch.NewDisposeScope();
        var reference = MetricTestData.Crops("brick.png", 24, 43, size: 64);
        var disjoint = MetricTestData.Crops("brick.png", 24, 44, size: 64);
        var faded = disjoint.mul(Half); // half the contrast around mid-gray
        var floor = SlicedWasserstein.Compute(disjoint, reference, Options);
        var fade = SlicedWasserstein.Compute(faded, reference, Options);
        TestContext.Out.WriteLine($"real-normalized: floor {Show(floor.RealNormalized)}, faded {Show(fade.RealNormalized)}");
        TestContext.Out.WriteLine($"per-set:         floor {Show(floor.PerSet)}, faded {Show(fade.PerSet)}");
        Assert.That(fade.RealNormalized.Mean, Is.GreaterThan(3 * floor.RealNormalized.Mean));
        Assert.That(fade.RealNormalized.Coarse, Is.GreaterThan(3 * floor.RealNormalized.Coarse), "coarse level too");
        // Each band scales by ½, and per-set normalization divides it out again: the same number as the floor.
        Assert.That(fade.PerSet.Mean, Is.EqualTo(floor.PerSet.Mean).Within(1e-3 * floor.PerSet.Mean));
    }

    [Test]
    public void At128PixelsThePyramidGoesDownTo16PixelsAndReportsTheCoarseLevelSeparately()
    {
        using var scope = torch.NewDisposeScope();
        var reference = MetricTestData.Crops("grass.png", 6, 45, size: 128);
        var other = MetricTestData.Crops("brick.png", 6, 46, size: 128);
        var r = SlicedWasserstein.Compute(other, reference, Options with { PatchesPerImage = 16, Directions = 32 });
        Assert.That(r.RealNormalized.PerLevel, Has.Count.EqualTo(4), "128, 64, 32, 16");
        Assert.That(r.RealNormalized.Coarse, Is.EqualTo(r.RealNormalized.PerLevel[3]));
        Assert.That(r.RealNormalized.Mean, Is.EqualTo(r.RealNormalized.PerLevel.Average()).Within(1e-12));
        Assert.That(SlicedWasserstein.LevelCount(256, 16), Is.EqualTo(5), "256 → 16");
    }

    private static string Show(SwdLevels s) => $"{s.Mean:F1} [{string.Join(" / ", s.PerLevel.Select(v => v.ToString("F1")))}]";
}
