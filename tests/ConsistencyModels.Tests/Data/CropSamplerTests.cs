using ConsistencyModels.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Data;

public class CropSamplerTests
{
    private static PlanarImage Ramp(int h, int w)
    {
        // Every pixel distinct, so crops identify their source positions exactly.
        var d = new float[3 * h * w];
        for (int i = 0; i < d.Length; i++)
            d[i] = i / (float)d.Length;
        return new PlanarImage(d, h, w);
    }

    private static TextureDataset FixtureDataset() => TextureDataset.Load(TestFiles.FixtureDir);

    [Test]
    public void CropAtAnOffsetEqualsTheRolledImage()
    {
        var img = Ramp(7, 9);
        using var full = img.ToTensor();
        foreach (var (top, left) in new[] { (0, 0), (3, 5), (6, 8), (5, 2) })
        {
            using var crop = CropSampler.Crop(img, top, left, 6, CropTransform.Identity);
            using var rolled = full.roll(new long[] { -top, -left }, new long[] { 1, 2 });
            using var expected = rolled[.., ..6, ..6];
            Assert.That(TensorAssert.Same(crop, expected), Is.True, $"offset ({top}, {left})");
        }
    }

    [Test]
    public void TiledCropLargerThanTheSourceRepeatsIt()
    {
        var img = Ramp(3, 4);
        using var crop = CropSampler.Crop(img, 1, 2, 10, CropTransform.Identity);
        using var full = img.ToTensor();
        using var tiled = full.roll(new long[] { -1, -2 }, new long[] { 1, 2 }).repeat(1, 4, 3);
        using var expected = tiled[.., ..10, ..10];
        Assert.That(TensorAssert.Same(crop, expected), Is.True);
    }

    [Test]
    public void TransformsMatchTorchFlipAndRot90AndKeepThePixelMultiset()
    {
        var img = Ramp(8, 8);
        using var plain = CropSampler.Crop(img, 2, 3, 5, CropTransform.Identity);
        var sortedPlain = plain.data<float>().ToArray().Order().ToArray();
        foreach (bool fh in new[] { false, true })
            foreach (bool fv in new[] { false, true })
                for (int k = 0; k < 4; k++)
                {
                    using var got = CropSampler.Crop(img, 2, 3, 5, new CropTransform(fh, fv, k));
                    using var scope = torch.NewDisposeScope();
                    var exp = plain;
                    if (fh) exp = exp.flip(2);
                    if (fv) exp = exp.flip(1);
                    exp = exp.rot90(k, (1, 2));
                    Assert.That(TensorAssert.Same(got, exp), Is.True, $"flipH={fh} flipV={fv} k={k}");
                    Assert.That(got.data<float>().ToArray().Order().ToArray(), Is.EqualTo(sortedPlain));
                }
    }

    [Test]
    public void SamplesAreDeterministicForASeedAndDifferAcrossSeeds()
    {
        var ds = FixtureDataset();
        var (a, la) = new CropSampler(ds, 16, 42).Sample(8);
        var (b, lb) = new CropSampler(ds, 16, 42).Sample(8);
        var (c, _) = new CropSampler(ds, 16, 43).Sample(8);
        Assert.That(a.shape, Is.EqualTo(new long[] { 8, 3, 16, 16 }));
        Assert.That(a.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(la.dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(la.shape, Is.EqualTo(new long[] { 8 }));
        Assert.That(TensorAssert.Same(a, b), Is.True);
        Assert.That(TensorAssert.Same(la, lb), Is.True);
        Assert.That(TensorAssert.Same(a, c), Is.False);
        foreach (var t in new[] { a, b, c, la, lb }) t.Dispose();
    }

    [Test]
    public void LabelsMatchTheImageEachCropCameFrom()
    {
        // Two constant images with different values: a crop's value identifies its source.
        string dir = TestFiles.TempDir();
        try
        {
            foreach (var (cls, v) in new[] { ("a", (byte)0), ("b", (byte)255) })
            {
                Directory.CreateDirectory(Path.Combine(dir, cls));
                TestFiles.Png(Path.Combine(dir, cls, "x.png"), 4, 4, Enumerable.Repeat(v, 48).ToArray());
            }
            var ds = TextureDataset.Load(dir);
            var (x, y) = new CropSampler(ds, 4, 7).Sample(32);
            var first = x[.., 0, 0, 0].data<float>().ToArray();
            var labels = y.data<long>().ToArray();
            for (int i = 0; i < 32; i++)
                Assert.That(first[i], Is.EqualTo(labels[i] == 0 ? -1f : 1f));
            Assert.That(labels.Distinct().Count(), Is.EqualTo(2), "both classes drawn in 32 samples");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void RestoredStateContinuesBitExactly()
    {
        var ds = FixtureDataset();
        var s1 = new CropSampler(ds, 8, 5);
        s1.Sample(3).Images.Dispose();
        var saved = CropSamplerState.Parse(s1.SaveState().ToString());
        var (expected, el) = s1.Sample(4);

        var s2 = new CropSampler(ds, 8, 999);
        s2.RestoreState(saved);
        var (got, gl) = s2.Sample(4);
        Assert.That(TensorAssert.Same(got, expected), Is.True);
        Assert.That(TensorAssert.Same(gl, el), Is.True);
        Assert.That(s2.CropsDrawn, Is.EqualTo(7));
    }

    [Test]
    public void StateTextRejectsGarbage()
    {
        Assert.Throws<FormatException>(() => CropSamplerState.Parse("1:2:3"));
        Assert.Throws<FormatException>(() => CropSamplerState.Parse("zz:0:0:1:5"));
    }

    [Test]
    public void ClassBalancedCropsCycleThroughTheClassesAndAreDeterministic()
    {
        string dir = TestFiles.TempDir();
        try
        {
            foreach (var (cls, files) in new[] { ("a", 1), ("b", 3), ("c", 1) })
            {
                Directory.CreateDirectory(Path.Combine(dir, cls));
                for (int f = 0; f < files; f++)
                    TestFiles.Png(Path.Combine(dir, cls, $"{f}.png"), 4, 4, Enumerable.Repeat((byte)(40 * f + 10), 48).ToArray());
            }
            var ds = TextureDataset.Load(dir);
            var (x1, l1) = new CropSampler(ds, 4, 3).SampleClassBalanced(9);
            var (x2, l2) = new CropSampler(ds, 4, 3).SampleClassBalanced(9);
            using (x1) using (l1) using (x2) using (l2)
            {
                Assert.That(l1.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2 }));
                Assert.That(TensorAssert.Same(x1, x2), Is.True);
            }
            // Uniform sampling over images would favour class b (3 of 5 images); balanced gives each class a third.
            var (_, many) = new CropSampler(ds, 4, 4).Sample(300);
            using (many)
                Assert.That(many.data<long>().ToArray().Count(l => l == 1), Is.GreaterThan(150));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
