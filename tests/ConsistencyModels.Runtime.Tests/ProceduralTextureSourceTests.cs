namespace ConsistencyModels.Runtime.Tests;

public class ProceduralTextureSourceTests
{
    private static float[] Generate(TextureRequest request)
    {
        using var source = new ProceduralTextureSource();
        var data = new float[request.PlanarLength];
        source.Generate(request, data);
        return data;
    }

    [Test]
    public void SameRequestGivesIdenticalTextureAcrossInstances()
    {
        var request = new TextureRequest(24, 16, 2, 1, 42, 0.5);
        Assert.That(Generate(request), Is.EqualTo(Generate(request)).AsCollection);
    }

    [Test]
    public void ValuesStayInMinusOneToOneAndUseTheRange()
    {
        var data = Generate(new TextureRequest(32, 32, 0, 2, 7, 0));
        Assert.That(data.Min(), Is.GreaterThanOrEqualTo(-1f));
        Assert.That(data.Max(), Is.LessThanOrEqualTo(1f));
        Assert.That(data.Max() - data.Min(), Is.GreaterThan(0.5f), "a texture, not a flat colour");
    }

    [Test]
    public void SeedClassStepsAndPhaseEachChangeTheTexture()
    {
        var baseRequest = new TextureRequest(16, 16, 0, 1, 1, 0);
        var reference = Generate(baseRequest);
        foreach (var changed in new[]
                 {
                     baseRequest with { Seed = 2 }, baseRequest with { ClassIndex = 3 },
                     baseRequest with { Steps = 2 }, baseRequest with { Phase = 0.25 },
                 })
            Assert.That(Generate(changed), Is.Not.EqualTo(reference).AsCollection, changed.ToString());
    }

    [Test]
    public void TextureTilesSeamlessly()
    {
        // Integer frequencies make the pattern periodic in W and H: the step across the wrap-around
        // (last column → first column) is as small as the steps between neighbours inside.
        const int w = 32, h = 32;
        var data = Generate(new TextureRequest(w, h, 1, 2, 9, 0));
        double interior = 0, seam = 0;
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < h; y++)
            {
                var row = c * w * h + y * w;
                for (var x = 0; x < w - 1; x++) interior += Math.Abs(data[row + x + 1] - data[row + x]);
                seam += Math.Abs(data[row] - data[row + w - 1]);
            }
        var ratio = seam / (interior / (w - 1));
        Assert.That(ratio, Is.InRange(0.5, 1.5));
    }

    [Test]
    public void TooSmallDestinationOrBadRequestThrows()
    {
        using var source = new ProceduralTextureSource();
        Assert.Throws<ArgumentException>(() => source.Generate(new TextureRequest(4, 4, 0, 1, 0, 0), new float[47]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Generate(new TextureRequest(4, 4, 0, 3, 0, 0), new float[48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Generate(new TextureRequest(4, 4, 8, 1, 0, 0), new float[48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Generate(new TextureRequest(0, 4, 0, 1, 0, 0), new float[48]));
    }

    [Test]
    public void GenerateAllocatesNothingOnceWarm()
    {
        using var source = new ProceduralTextureSource();
        var request = new TextureRequest(32, 32, 0, 2, 3, 0);
        var data = new float[request.PlanarLength];
        source.Generate(request, data);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) source.Generate(request with { Phase = i * 0.1 }, data);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
    }
}
