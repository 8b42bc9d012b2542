using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Training;
using TorchSharp;

namespace ConsistencyModels.Tests.Data;

/// <summary>
/// <see cref="CropAugmentation"/>: which orientations crops come in (issue 13: quarter turns stood the default model's
/// brick walls on end), and that the model file records it.
/// </summary>
public class CropAugmentationTests
{
    [Test]
    public void EachAugmentationSelectsExactlyItsTransforms()
    {
        var bits = Enumerable.Range(0, 16).Select(b => (ulong)b).ToArray();
        var dihedral = bits.Select(b => CropTransform.FromBits(b, CropAugmentation.Dihedral)).ToHashSet();
        var flips = bits.Select(b => CropTransform.FromBits(b, CropAugmentation.Flips)).ToHashSet();
        var none = bits.Select(b => CropTransform.FromBits(b, CropAugmentation.None)).ToHashSet();
        Assert.That(dihedral, Has.Count.EqualTo(16), "every flip pair with every quarter turn (8 distinct symmetries, each twice)");
        Assert.That(flips, Is.EquivalentTo(new[] { new CropTransform(false, false, 0), new CropTransform(true, false, 0),
            new CropTransform(false, true, 0), new CropTransform(true, true, 0) }));
        Assert.That(none, Is.EquivalentTo(new[] { CropTransform.Identity }));
    }

    /// <summary>Horizontal stripes (each row one value): flips keep every crop's rows constant, a quarter turn makes
    /// its columns constant instead. So under flips no crop has varying rows, and under dihedral some do.</summary>
    [TestCase(CropAugmentation.Flips, 0)]
    [TestCase(CropAugmentation.None, 0)]
    [TestCase(CropAugmentation.Dihedral, -1)]
    public void FlipsKeepHorizontalStripesHorizontal(CropAugmentation augmentation, int expectedTurned)
    {
        string dir = TestFiles.TempDir();
        try
        {
            const int side = 16;
            var rgb = new byte[side * side * 3];
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                    for (int c = 0; c < 3; c++)
                        rgb[(y * side + x) * 3 + c] = (byte)(y * 15);
            TestFiles.Png(Path.Combine(dir, "stripes.png"), side, side, rgb);
            var dataset = TextureDataset.Load(dir);
            var (images, labels) = new CropSampler(dataset, 8, seed: 3, augmentation: augmentation).Sample(64);
            using (images)
            using (labels)
            {
                using var rowSpread = (images.amax(3) - images.amin(3)).amax([1, 2]); // per crop: largest spread along a row
                int turned = rowSpread.data<float>().ToArray().Count(v => v > 0);
                TestContext.Out.WriteLine($"{augmentation}: {turned} of 64 crops have rows that vary (turned a quarter)");
                if (expectedTurned >= 0) Assert.That(turned, Is.EqualTo(expectedTurned));
                else Assert.That(turned, Is.InRange(16, 48), "about half of the dihedral draws turn an odd number of quarters");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void TheModelFileRecordsItAndOlderFilesReadAsDihedral()
    {
        var config = UNetConfig.Tiny with { AttentionLevels = [] };
        var flips = new ModelMetadata { Kind = ModelKind.Teacher, Config = config, Augmentation = CropAugmentation.Flips };
        string json = flips.ToJson();
        Assert.That(json, Does.Contain("\"augmentation\": \"flips\""));
        Assert.That(ModelMetadata.FromJson(json, "m.json"), Is.EqualTo(flips));
        Assert.That(ModelMetadata.FromJson(json, "m.json"), Is.Not.EqualTo(flips with { Augmentation = CropAugmentation.None }));

        string configJson = System.Text.Json.JsonSerializer.Serialize(config, ModelMetadata.JsonOptions);
        var old = ModelMetadata.FromJson($$"""{ "formatVersion": 1, "kind": "teacher", "config": {{configJson}} }""", "old.json");
        Assert.That(old.Augmentation, Is.EqualTo(CropAugmentation.Dihedral));
        var e = Assert.Throws<ModelFormatException>(() =>
            ModelMetadata.FromJson($$"""{ "kind": "teacher", "config": {{configJson}}, "augmentation": "spin" }""", "m.json"));
        TestContext.Out.WriteLine(e!.Message);
    }
}
