using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.IO;

/// <summary>Model files that are not what they claim: NaN weights, a folder, metadata that does not fit the weights.</summary>
public class ModelFileRobustnessTests
{
    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        dir = Path.Combine(Path.GetTempPath(), "cm-mfr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static readonly ModelMetadata Metadata = new()
    {
        Kind = ModelKind.Consistency,
        Config = UNetConfig.Tiny with { AttentionLevels = [] },
        Method = TrainingMethod.Cd,
    };

    private string SaveWith(Action<IReadOnlyDictionary<string, Tensor>> edit, ModelMetadata? metadata = null)
    {
        string path = Path.Combine(dir, "model.safetensors");
        manual_seed(3);
        using var model = ModelFile.CreateModel(Metadata);
        var state = model.Net.state_dict();
        using (no_grad()) edit(state);
        var json = (metadata ?? Metadata).ToJson();
        Safetensors.Save(path, state.ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string> { [ModelFile.MetadataKey] = json });
        return path;
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void NonFiniteWeightsAreRefusedAtLoad(float bad)
    {
        string path = SaveWith(state =>
        {
            var weight = state.First(kv => kv.Key.EndsWith("weight", StringComparison.Ordinal) && kv.Value.numel() > 4);
            using var flat = weight.Value.view(-1);
            using var one = flat.narrow(0, 2, 1);
            using var value = bad.ToScalar();
            one.fill_(value);
        });
        var error = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose())!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("1 NaN or infinite value(s)"));
    }

    [Test]
    public void FiniteWeightsStillLoad()
    {
        string path = SaveWith(_ => { });
        using var loaded = ModelFile.Load(path);
        Assert.That(loaded.Kind, Is.EqualTo(ModelKind.Consistency));
    }

    [Test]
    public void AFolderIsCalledAFolder()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelFile.Load(dir).Dispose())!;
        Assert.That(error.Message, Does.Contain("is a directory"));
        var metadataError = Assert.Throws<ModelFormatException>(() => ModelFile.ReadMetadata(dir))!;
        Assert.That(metadataError.Message, Does.Contain("is a directory"));
    }

    /// <summary>A config edited to a huge width is refused before the network is built (it would need terabytes).</summary>
    [Test]
    public void MetadataThatCannotFitTheWeightsIsRefusedBeforeBuildingTheNetwork()
    {
        var huge = Metadata with { Config = Metadata.Config with { BaseChannels = 1 << 20 } };
        string path = SaveWith(_ => { }, huge);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose())!;
        Assert.That(error.Message, Does.Contain("do not belong together"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    private static IEnumerable<UNetConfig> Configs()
    {
        yield return UNetConfig.Tiny;
        yield return UNetConfig.Tiny with { ClassCount = 5, EmbeddingChannels = 12 };
        yield return UNetConfig.Small;
        yield return UNetConfig.Base with { ResBlocksPerLevel = 1 };
        yield return UNetConfig.Small with { ChannelMultipliers = [1, 1, 2, 2], ResBlocksPerLevel = 2, InChannels = 1 };
    }

    [TestCaseSource(nameof(Configs))]
    public void MinimumParameterCountIsALowerBound(UNetConfig config)
    {
        using var net = new UNet(config);
        long actual = net.state_dict().Values.Sum(t => t.numel());
        long bound = config.MinimumParameterCount();
        TestContext.Out.WriteLine($"bound {bound:N0} of {actual:N0} ({100.0 * bound / actual:F0} %)");
        Assert.That(bound, Is.LessThanOrEqualTo(actual));
        // It leaves out conv0 of width-changing blocks, skips, norms and biases: about a third of the real count, close
        // enough to refuse a tampered config that is orders of magnitude off before building it.
        Assert.That(bound, Is.GreaterThan(actual / 4), "a bound far below the real count would let implausible files through");
    }
}
