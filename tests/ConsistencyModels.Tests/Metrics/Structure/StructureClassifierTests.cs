using ConsistencyModels.IO;
using ConsistencyModels.Metrics.Structure;
using ConsistencyModels.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics.Structure;

/// <summary>The structure classifier learns shapes, not colours, and scores like a classifier should.</summary>
public class StructureClassifierTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestFiles.TempDir();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public void LearnsStripesCheckersAndDotsInAnyColourAndDoesNotNameNoise()
    {
        SyntheticTextures.WriteShapes(_dir, perClass: 6, seed: 1);
        var ds = SyntheticTextures.Load(_dir);
        var (classifier, meta) = StructureClassifierTraining.Train(ds, SyntheticTextures.SmallOptions());
        using (classifier)
        {
            TestContext.Out.WriteLine($"held-out {meta.HeldOutAccuracy:P1}, loss {meta.FinalLoss:F3}, {meta.TrainSeconds:F1} s");
            Assert.That(meta.Config.ClassNames, Is.EqualTo(new[] { "checkers", "dots", "stripes" }));
            Assert.That(meta.HeldOutAccuracy, Is.GreaterThan(0.9));
            Assert.That(meta.HeldOutPerClass.Values, Has.All.GreaterThan(0.75));
            TestContext.Out.WriteLine($"phase-randomized held-out crops assigned to no structure: {meta.PhaseRandomizedRejected:P1}");
            Assert.That(meta.PhaseRandomizedRejected, Is.GreaterThan(0.8), "stripes, checkers, dots without their phases have no shapes");

            // Noise has no class: asked for each class in turn, the share "right" is at most chance (1/3); most of it is
            // assigned to "no structure".
            using var gen = new Generator(9);
            using var lo = (-1.0).ToScalar();
            using var hi = 1.0.ToScalar();
            using var noise = torch.randn([90, 3, 32, 32], generator: gen).clamp(lo, hi);
            using var asked = torch.tensor(Enumerable.Range(0, 90).Select(i => (long)(i % 3)).ToArray());
            var score = StructureScore.Compute(classifier, noise, asked);
            TestContext.Out.WriteLine($"noise {score.Overall:P1}, no structure {score.NoStructureShare:P1}");
            Assert.That(score.Overall, Is.LessThan(1.0 / 3 + 0.12));
            Assert.That(score.NoStructureShare, Is.GreaterThan(0.5));
        }
    }

    [Test]
    public void ClassesThatDifferOnlyInColourAndContrastCannotBeTold()
    {
        // Same stripes, dull red vs vivid blue: after gray + per-crop standardization the inputs are alike, so the
        // held-out accuracy stays near chance (1/2). Leaking colour or contrast would make this task trivial.
        SyntheticTextures.WriteColourOnly(_dir, perClass: 4, seed: 2);
        var ds = SyntheticTextures.Load(_dir);
        var (classifier, meta) = StructureClassifierTraining.Train(ds, SyntheticTextures.SmallOptions(100) with { HeldOutCount = 200 });
        using (classifier)
        {
            TestContext.Out.WriteLine($"held-out {meta.HeldOutAccuracy:P1}");
            Assert.That(meta.HeldOutAccuracy, Is.LessThan(0.7));
        }
    }

    [Test]
    public void FileRoundTripKeepsPredictionsAndMetadataAndRejectsOtherFiles()
    {
        using var scope = torch.NewDisposeScope();
        var config = new StructureClassifierConfig { ClassNames = ["a", "b", "c"], CropSize = 32, Downsample = 2, StemChannels = 4, StageChannels = [8, 8] };
        torch.manual_seed(5);
        using var classifier = new StructureClassifier(config);
        var meta = new StructureClassifierMetadata { Config = config, Iterations = 7, HeldOutAccuracy = 0.5, HeldOutPerClass = new() { ["a"] = 1.0 } };
        string path = Path.Combine(_dir, "c.safetensors");
        StructureClassifierFile.Save(path, classifier, meta);
        Assert.That(File.ReadAllBytes(Path.Combine(_dir, "c.json"))[0], Is.EqualTo((byte)'{'), "plain UTF-8 JSON, no byte-order mark");
        Assert.That(Directory.GetFiles(_dir).Where(f => f.EndsWith(".tmp")), Is.Empty);

        using var gen = new Generator(6);
        using var two = 2.0.ToScalar();
        using var one = 1.0.ToScalar();
        var x = torch.rand([5, 3, 32, 32], generator: gen).mul(two).sub(one);
        var (loaded, loadedMeta) = StructureClassifierFile.Load(path);
        using (loaded)
        {
            Assert.That(TensorAssert.Same(loaded.Predict(x), classifier.Predict(x)), Is.True);
            using var noGrad = torch.no_grad();
            var input = StructurePreprocessing.Apply(x, 2);
            Assert.That(loaded.forward(input).allclose(classifier.forward(input), 0, 1e-6), Is.True);
        }
        Assert.That(loadedMeta.Iterations, Is.EqualTo(7));
        Assert.That(loadedMeta.HeldOutPerClass["a"], Is.EqualTo(1.0));
        Assert.That(loadedMeta.Config.StageChannels, Is.EqualTo(new[] { 8, 8 }));

        string other = Path.Combine(_dir, "other.safetensors");
        Safetensors.Save(other, new Dictionary<string, Tensor> { ["w"] = torch.zeros(2) });
        var ex = Assert.Throws<ModelFormatException>(() => StructureClassifierFile.Load(other));
        Assert.That(ex!.Message, Does.Contain(other).And.Contain("not a structure classifier"));
    }

    [Test]
    public void GroupNormParametersAreInitialized()
    {
        var config = new StructureClassifierConfig { ClassNames = ["a", "b"], CropSize = 32, Downsample = 1, StemChannels = 8, StageChannels = [16] };
        using var classifier = new StructureClassifier(config);
        foreach (var (name, p) in classifier.named_parameters().Where(p => p.name.Contains("norm")))
        {
            float expected = name.EndsWith("weight") ? 1f : 0f;
            Assert.That(p.data<float>().ToArray(), Has.All.EqualTo(expected), name);
        }
    }

    [Test]
    public void ScoreCountsPerClassAndOverall()
    {
        // Index 4 = the class count: "no structure".
        using var predicted = torch.tensor(new long[] { 0, 0, 1, 2, 2, 2, 4, 4 });
        using var expected = torch.tensor(new long[] { 0, 1, 1, 2, 2, 0, 0, 1 });
        var s = StructureScore.FromPredictions(["x", "y", "z", "unused"], predicted, expected);
        Assert.That(s.Overall, Is.EqualTo(4.0 / 8).Within(1e-12));
        Assert.That(s.NoStructureShare, Is.EqualTo(2.0 / 8).Within(1e-12));
        Assert.That(s.NoStructure, Is.EqualTo(new[] { 1, 1, 0, 0 }));
        Assert.That(s.PerClass[0], Is.EqualTo(1.0 / 3).Within(1e-12));
        Assert.That(s.PerClass[1], Is.EqualTo(1.0 / 3).Within(1e-12));
        Assert.That(s.PerClass[2], Is.EqualTo(1.0));
        Assert.That(double.IsNaN(s.PerClass[3]), Is.True);
        Assert.That(s.Worst, Is.EqualTo(1.0 / 3).Within(1e-12));
        var json = s.ToJsonObject();
        Assert.That(json["per_class"]!.AsObject().ContainsKey("unused"), Is.False);
        Assert.That((int)json["counts"]!["z"]!, Is.EqualTo(2));
    }
}
