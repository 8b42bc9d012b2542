using ConsistencyModels.Data;

namespace ConsistencyModels.Tests.Data;

public class TextureDatasetTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestFiles.TempDir();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public void MissingFolderIsADataExceptionNamingThePath()
    {
        string missing = Path.Combine(_dir, "nope");
        var ex = Assert.Throws<DataException>(() => TextureDataset.Load(missing));
        Assert.That(ex!.Message, Does.Contain(missing));
    }

    [Test]
    public void EmptyFolderIsADataExceptionNamingThePath()
    {
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "no images here");
        var ex = Assert.Throws<DataException>(() => TextureDataset.Load(_dir));
        Assert.That(ex!.Message, Does.Contain(_dir));
    }

    [Test]
    public void CorruptPngIsADataExceptionNamingTheFile()
    {
        TestFiles.Png(Path.Combine(_dir, "a.png"), 4, 4, new byte[48]);
        string bad = Path.Combine(_dir, "b.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0]);
        var ex = Assert.Throws<DataException>(() => TextureDataset.Load(_dir));
        Assert.That(ex!.Message, Does.Contain(bad));
    }

    [Test]
    public void CorruptPatternIsInvalidDataNamingTheFile()
    {
        string bad = Path.Combine(_dir, "x.pat");
        File.WriteAllBytes(bad, TestFiles.Pattern("x", 4, 4, 3, new byte[10]));
        var ex = Assert.Throws<InvalidDataException>(() => TextureDataset.Load(_dir));
        Assert.That(ex!.Message, Does.Contain(bad));
    }

    [Test]
    public void ImageSmallerThanMinSizeIsRejectedByNameAndSoIsASamplerCropLargerThanIt()
    {
        string small = Path.Combine(_dir, "small.png");
        TestFiles.Png(small, 6, 5, new byte[90]);
        var ex = Assert.Throws<DataException>(() => TextureDataset.Load(_dir, new TextureDatasetOptions { MinSize = 8 }));
        Assert.That(ex!.Message, Does.Contain(small));
        var ds = TextureDataset.Load(_dir);
        var ex2 = Assert.Throws<DataException>(() => new CropSampler(ds, 6, 0));
        Assert.That(ex2!.Message, Does.Contain(small));
        Assert.DoesNotThrow(() => new CropSampler(ds, 5, 0));
        Assert.DoesNotThrow(() => new CropSampler(ds, 6, 0, allowTiledCrops: true));
    }

    [Test]
    public void PatternsTileSoCropsLargerThanAPatternWrapAroundInsteadOfBeingRefused()
    {
        // A 4×3 RGB pattern with distinct pixels; an 8×8 crop (larger than the pattern, as a 128² crop of a 64² pattern)
        // must be accepted and be periodic: every crop row repeats with the pattern's width or height (rot90 swaps them).
        var pixels = Enumerable.Range(0, 4 * 3 * 3).Select(i => (byte)(7 * i)).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "tile.pat"), TestFiles.Pattern("Tile", 4, 3, 3, pixels));
        var ds = TextureDataset.Load(_dir);
        Assert.That(ds.Tiles, Is.True);
        var sampler = new CropSampler(ds, 8, 5);
        var (images, labels) = sampler.Sample(6);
        using (images)
        using (labels)
        {
            var v = images.data<float>().ToArray();
            for (int b = 0; b < 6; b++)
            {
                float At(int y, int x) => v[b * 3 * 64 + y * 8 + x];
                bool Periodic(int p) => Enumerable.Range(0, 8).All(y => Enumerable.Range(0, 8 - p).All(x => At(y, x) == At(y, x + p)));
                Assert.That(Periodic(4) || Periodic(3), Is.True, $"crop {b} repeats the tile");
                Assert.That(Periodic(1), Is.False, $"crop {b} is not constant");
            }
        }

        // Images that are not known to tile keep the refusal (see the PNG test above).
        Assert.That(TextureDataset.Load(TestFiles.FixtureDir).Tiles, Is.False);
    }

    [Test]
    public void FlatFolderIsOneDefaultClassAndPixelsMapToMinusOneOne()
    {
        // 2x1 RGB: (0, 255, 51), (102, 153, 204)
        TestFiles.Png(Path.Combine(_dir, "a.png"), 2, 1, [0, 255, 51, 102, 153, 204]);
        var ds = TextureDataset.Load(_dir);
        Assert.That(ds.Kind, Is.EqualTo(TextureSourceKind.FlatImages));
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "default" }));
        var d = ds.Images[0].Pixels.Data; // planar: R0 R1 G0 G1 B0 B1
        Assert.That(d, Is.EqualTo(new[] { -1f, 102 / 127.5f - 1, 1f, 153 / 127.5f - 1, 51 / 127.5f - 1, 204 / 127.5f - 1 }).Within(1e-6f));
    }

    [Test]
    public void ClassSubfoldersBecomeClassesInOrdinalOrder()
    {
        foreach (var c in new[] { "stone", "grass" })
        {
            Directory.CreateDirectory(Path.Combine(_dir, c));
            TestFiles.Png(Path.Combine(_dir, c, "1.png"), 2, 2, new byte[12]);
        }
        TestFiles.Png(Path.Combine(_dir, "grass", "2.png"), 2, 2, new byte[12]);
        var ds = TextureDataset.Load(_dir);
        Assert.That(ds.Kind, Is.EqualTo(TextureSourceKind.ClassFolders));
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "grass", "stone" }));
        Assert.That(ds.Images.Select(i => i.ClassIndex), Is.EqualTo(new[] { 0, 0, 1 }));
    }

    [Test]
    public void GimpFolderGivesOneClassPerPatternAndFiltersCategories()
    {
        void Pat(string cat, string file, string name)
        {
            Directory.CreateDirectory(Path.Combine(_dir, cat));
            File.WriteAllBytes(Path.Combine(_dir, cat, file), TestFiles.Pattern(name, 3, 3, 1, new byte[9]));
        }
        Pat("Stone", "a.pat", "Granite");
        Pat("Stone", "b.pat", "Marble");
        Pat("Wood", "c.pat", "Oak");
        var all = TextureDataset.Load(_dir);
        Assert.That(all.Kind, Is.EqualTo(TextureSourceKind.GimpPatterns));
        Assert.That(all.ClassNames, Is.EqualTo(new[] { "Granite", "Marble", "Oak" }));
        var stone = TextureDataset.Load(_dir, new TextureDatasetOptions { Categories = ["stone"] });
        Assert.That(stone.ClassNames, Is.EqualTo(new[] { "Granite", "Marble" }));
        Assert.That(stone.Images.Select(i => i.ClassIndex), Is.EqualTo(new[] { 0, 1 }));
        var ex = Assert.Throws<DataException>(() => TextureDataset.Load(_dir, new TextureDatasetOptions { Categories = ["Sky"] }));
        Assert.That(ex!.Message, Does.Contain("Sky").And.Contain(_dir));
    }

    [Test]
    public void HashDependsOnBytesAndNamesButNotOnLocation()
    {
        TestFiles.Png(Path.Combine(_dir, "a.png"), 2, 2, new byte[12]);
        string h1 = TextureDataset.Load(_dir).Hash;
        string other = TestFiles.TempDir();
        try
        {
            File.Copy(Path.Combine(_dir, "a.png"), Path.Combine(other, "a.png"));
            Assert.That(TextureDataset.Load(other).Hash, Is.EqualTo(h1), "same files elsewhere");
            File.Move(Path.Combine(other, "a.png"), Path.Combine(other, "b.png"));
            Assert.That(TextureDataset.Load(other).Hash, Is.Not.EqualTo(h1), "renamed");
            TestFiles.Png(Path.Combine(_dir, "a.png"), 2, 2, Enumerable.Repeat((byte)1, 12).ToArray());
            Assert.That(TextureDataset.Load(_dir).Hash, Is.Not.EqualTo(h1), "changed bytes");
        }
        finally
        {
            Directory.Delete(other, true);
        }
    }

    [Test]
    public void LoadsTheCommittedCc0Fixtures()
    {
        var ds = TextureDataset.Load(TestFiles.FixtureDir);
        Assert.That(ds.Images.Select(i => i.Name), Is.EqualTo(new[] { "brick.png", "grass.png" }));
        foreach (var img in ds.Images)
        {
            Assert.That((img.Pixels.Height, img.Pixels.Width), Is.EqualTo((128, 128)));
            int plane = 128 * 128;
            // Grayscale source: the three planes are equal.
            Assert.That(img.Pixels.Data.AsSpan(0, plane).SequenceEqual(img.Pixels.Data.AsSpan(plane, plane)), Is.True);
        }
    }
}

public class TextureDatasetJpegTests
{
    [Test]
    public void LoadsJpegImages()
    {
        string dir = TestFiles.TempDir();
        try
        {
            // A constant mid-gray JPEG decodes to (nearly) the same gray.
            var rgb = Enumerable.Repeat((byte)128, 16 * 16 * 3).ToArray();
            using (var s = File.Create(Path.Combine(dir, "g.jpg")))
                new StbImageWriteSharp.ImageWriter().WriteJpg(rgb, 16, 16, StbImageWriteSharp.ColorComponents.RedGreenBlue, s, 95);
            var ds = TextureDataset.Load(dir);
            Assert.That(ds.Images, Has.Count.EqualTo(1));
            Assert.That(ds.Images[0].Pixels.Data, Has.All.EqualTo(128 / 127.5f - 1).Within(2 / 127.5f));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
