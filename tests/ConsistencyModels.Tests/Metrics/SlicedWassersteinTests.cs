using ConsistencyModels.Metrics;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics;

public class SlicedWassersteinTests
{
    private static readonly SwdOptions Small = new() { PatchesPerImage = 32, Directions = 128, Seed = 7 };

    [Test]
    public void DistanceOfASetToItselfIsZero()
    {
        using var x = MetricTestData.Crops("grass.png", 16, 1);
        var r = SlicedWasserstein.Compute(x, x, Small);
        Assert.That(r.RealNormalized.PerLevel, Has.Count.EqualTo(2), "32 → 16");
        Assert.That(r.PerSet.PerLevel, Has.Count.EqualTo(2));
        Assert.That(r.RealNormalized.Mean, Is.EqualTo(0).Within(1e-9));
        Assert.That(r.PerSet.Mean, Is.EqualTo(0).Within(1e-9));
        Assert.That(r.RealNormalized.Coarse, Is.EqualTo(0).Within(1e-9));
    }

    [Test]
    public void GrowsMonotonicallyWithAddedNoise()
    {
        using var x = MetricTestData.Crops("brick.png", 24, 2);
        using var g = new Generator(3);
        using var n = torch.randn(x.shape, generator: g);
        var values = new[] { 0.02, 0.1, 0.3, 1.0 }.Select(s =>
        {
            using var scale = s.ToScalar();
            using var y = x.add(n, scale);
            return SlicedWasserstein.Compute(y, x, Small).RealNormalized.Mean;
        }).ToArray();
        TestContext.Out.WriteLine(string.Join(", ", values));
        for (int i = 1; i < values.Length; i++)
            Assert.That(values[i], Is.GreaterThan(values[i - 1]), $"σ index {i}");
    }

    [Test]
    public void DisjointSetsOfOneTextureAreCloserThanTwoTextures()
    {
        using var brickA = MetricTestData.Crops("brick.png", 24, 10);
        using var brickB = MetricTestData.Crops("brick.png", 24, 11);
        using var grass = MetricTestData.Crops("grass.png", 24, 12);
        double same = SlicedWasserstein.Compute(brickB, brickA, Small).RealNormalized.Mean;
        double different = SlicedWasserstein.Compute(grass, brickA, Small).RealNormalized.Mean;
        TestContext.Out.WriteLine($"brick/brick {same:F2}, brick/grass {different:F2}");
        Assert.That(same, Is.GreaterThan(0));
        Assert.That(different, Is.GreaterThan(2 * same));
    }

    [Test]
    public void IsDeterministicForASeedAndThePerSetVariantIsSymmetric()
    {
        using var a = MetricTestData.Crops("brick.png", 8, 20);
        using var b = MetricTestData.Crops("grass.png", 8, 21);
        var r1 = SlicedWasserstein.Compute(a, b, Small);
        var r2 = SlicedWasserstein.Compute(a, b, Small);
        var r3 = SlicedWasserstein.Compute(b, a, Small);
        Assert.That(r2.RealNormalized.PerLevel, Is.EqualTo(r1.RealNormalized.PerLevel));
        Assert.That(r2.PerSet.PerLevel, Is.EqualTo(r1.PerSet.PerLevel));
        Assert.That(r3.PerSet.Mean, Is.EqualTo(r1.PerSet.Mean).Within(1e-9 + 1e-6 * r1.PerSet.Mean));
    }

    [Test]
    public void LaplacianPyramidReconstructsTheImage()
    {
        // Collapsing the pyramid (G_L, then G_i = L_i + up(G_{i+1})) must give the input back exactly.
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(2, 3, 16, 16, dtype: float64);
        var lap = SlicedWasserstein.LaplacianPyramid(x, 3);
        Assert.That(lap.Select(l => l.shape[2]), Is.EqualTo(new long[] { 16, 8, 4 }));
        var g = lap[2];
        for (int i = 1; i >= 0; i--)
            g = lap[i].Plus(SlicedWasserstein.PyrUp(g, lap[i].shape[2], lap[i].shape[3]));
        Assert.That(g.allclose(x, 0, 1e-12), Is.True);
    }

    [Test]
    public void PyrDownKeepsAConstantImageConstant()
    {
        using var scope = torch.NewDisposeScope();
        var x = ScalarArithmetic.Full([1, 3, 8, 8], 0.3, dtype: float64);
        var d = SlicedWasserstein.PyrDown(x);
        Assert.That(d.shape, Is.EqualTo(new long[] { 1, 3, 4, 4 }));
        Assert.That(d.allclose(ScalarArithmetic.Full(d.shape, 0.3, d.dtype), 0, 1e-12), Is.True);
        var u = SlicedWasserstein.PyrUp(d, 8, 8);
        Assert.That(u.allclose(x, 0, 1e-12), Is.True, "upsampling preserves the constant (gain 4 on the zero-inserted grid)");
    }

    [Test]
    public void PatchesAreTheImageNeighbourhoods()
    {
        // Pixel value encodes (channel, y, x), so each descriptor can be checked against its top-left corner.
        using var scope = torch.NewDisposeScope();
        var c = ScalarArithmetic.Arange(3, dtype: float32).reshape(1, 3, 1, 1).Times(10000);
        var y = ScalarArithmetic.Arange(12, dtype: float32).reshape(1, 1, 12, 1).Times(100);
        var xx = ScalarArithmetic.Arange(10, dtype: float32).reshape(1, 1, 1, 10);
        var img = c.Plus(y).Plus(xx).expand(2, 3, 12, 10).contiguous();
        using var gen = new Generator(5);
        var p = SlicedWasserstein.ExtractPatches(img, 3, 4, gen);
        Assert.That(p.shape, Is.EqualTo(new long[] { 8, 27 }));
        var rows = p.data<float>().ToArray();
        for (int r = 0; r < 8; r++)
        {
            float origin = rows[r * 27];
            int y0 = (int)(origin / 100), x0 = (int)(origin % 100);
            Assert.That(y0, Is.InRange(0, 9));
            Assert.That(x0, Is.InRange(0, 7));
            for (int ch = 0; ch < 3; ch++)
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++)
                        Assert.That(rows[r * 27 + ch * 9 + dy * 3 + dx], Is.EqualTo(ch * 10000 + (y0 + dy) * 100 + x0 + dx));
        }
    }

    [Test]
    public void OneDimensionalDistanceMatchesSortedDifferences()
    {
        // Along direction e1 the W1 distance between {0, 1, 5} and {2, 2, 2} is (2 + 1 + 3) / 3 = 2.
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 5, 0, 1 }).reshape(3, 1);
        var b = torch.tensor(new float[] { 2, 2, 2 }).reshape(3, 1);
        var dir = torch.ones(1, 1);
        Assert.That(SlicedWasserstein.Distance(a, b, dir), Is.EqualTo(2.0).Within(1e-6));
        // Unequal counts compare quantiles: {0, 1, 5, 6} vs {2, 2}: quantiles 1 (index 1) and 6 (index 3) → (1 + 4) / 2.
        var a4 = torch.tensor(new float[] { 6, 0, 5, 1 }).reshape(4, 1);
        var b2 = torch.tensor(new float[] { 2, 2 }).reshape(2, 1);
        Assert.That(SlicedWasserstein.Distance(a4, b2, dir), Is.EqualTo(2.5).Within(1e-6));
    }

    [Test]
    public void DirectionsAreUnitVectors()
    {
        using var gen = new Generator(1);
        using var d = SlicedWasserstein.RandomDirections(16, 147, gen);
        using var n = d.Square().sum(1).sqrt();
        Assert.That(n.allclose(torch.ones(16), 0, 1e-5), Is.True);
    }

    [Test]
    public void RejectsMismatchedImageSizes()
    {
        using var a = torch.zeros(2, 3, 16, 16);
        using var b = torch.zeros(2, 3, 16, 32);
        Assert.Throws<ArgumentException>(() => SlicedWasserstein.Compute(a, b, Small));
    }
}
