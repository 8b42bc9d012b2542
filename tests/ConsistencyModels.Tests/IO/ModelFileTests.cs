using ConsistencyModels.Sampling;
using ConsistencyModels.Diffusion;
using ConsistencyModels.Naming;
using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.IO;

public class ModelFileTests
{
    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        dir = Path.Combine(Path.GetTempPath(), "cm-mf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static readonly UNetConfig Config = UNetConfig.Tiny with { ClassCount = 2, NoiseEmbedding = NoiseEmbeddingKind.Fourier };

    private static ModelMetadata Metadata(ModelKind kind, UNetConfig? config = null) => new()
    {
        Kind = kind,
        Config = config ?? Config,
        ClassNames = ["Stone", "Sky"],
        MultistepTaus = [0.8],
        Method = kind == ModelKind.Teacher ? TrainingMethod.Teacher : TrainingMethod.Cd,
        DataHash = "abc123",
        CropSize = 32,
        TrainingIterations = 1234,
    };

    private static PreconditionedNetwork RandomModel(ModelMetadata m)
    {
        manual_seed(5);
        var model = ModelFile.CreateModel(m);
        NetworkTestHelpers.Randomize(model, 11);
        model.eval();
        return model;
    }

    private static float[] Output(PreconditionedNetwork model)
    {
        manual_seed(99);
        using var x = randn(2, 3, 8, 8);
        using var s = tensor(new[] { 0.3, 20.0 });
        using var l = tensor(new long[] { 0, 1 });
        using var y = model.forward(x, s, l);
        return y.data<float>().ToArray();
    }

    [TestCase(ModelKind.Teacher)]
    [TestCase(ModelKind.Consistency)]
    public void RoundTripGivesBitIdenticalOutputsAndTheRightPreconditioning(ModelKind kind)
    {
        var meta = Metadata(kind);
        using var model = RandomModel(meta);
        string path = Path.Combine(dir, "model.safetensors");
        ModelFile.Save(path, model, meta);
        using var loaded = ModelFile.Load(path);
        Assert.That(loaded.Metadata, Is.EqualTo(meta));
        Assert.That(loaded.Kind, Is.EqualTo(kind));
        Assert.That(loaded.Model, kind == ModelKind.Teacher ? Is.TypeOf<EdmPrecond>() : Is.TypeOf<ConsistencyPrecond>());
        if (loaded.Model is ConsistencyPrecond cp)
            Assert.That(cp.Epsilon, Is.EqualTo(meta.SigmaMin));
        Assert.That(loaded.Model.training, Is.False, "loaded in eval mode");
        var expected = Output(model);
        Assert.That(expected.Any(v => Math.Abs(v) > 1e-3), "nontrivial output");
        Assert.That(Output(loaded.Model), Is.EqualTo(expected));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "model.safetensors", "model.json" }));
        Assert.That(Safetensors.ReadHeader(path).Tensors.Select(t => t.Name), Does.Contain("map_noise.freqs"), "the Fourier frequencies are saved");
    }

    [Test]
    public void SiblingJsonHoldsTheSameMetadata()
    {
        var meta = Metadata(ModelKind.Consistency);
        using var model = RandomModel(meta);
        string path = Path.Combine(dir, "student.safetensors");
        ModelFile.Save(path, model, meta);
        string json = File.ReadAllText(Path.Combine(dir, "student.json"));
        Assert.That(json, Does.Contain("\"kind\": \"consistency\""));
        Assert.That(json, Does.Contain("\"multistepTaus\""));
        Assert.That(ModelMetadata.FromJson(json, "student.json"), Is.EqualTo(meta));
        Assert.That(ModelFile.ReadMetadata(path), Is.EqualTo(meta));
        Assert.That(Safetensors.ReadHeader(path).Metadata[ModelFile.MetadataKey].Trim(), Is.EqualTo(json.Trim()));
    }

    [Test]
    public void LoadsFromAStream()
    {
        var meta = Metadata(ModelKind.Teacher);
        using var model = RandomModel(meta);
        string path = Path.Combine(dir, "m.safetensors");
        ModelFile.Save(path, model, meta);
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        using var loaded = ModelFile.Load(stream, "resource:models/m.safetensors");
        Assert.That(Output(loaded.Model), Is.EqualTo(Output(model)));
    }

    [Test]
    public void HalfPrecisionStorageLoadsBackCloseToTheOriginal()
    {
        var meta = Metadata(ModelKind.Consistency);
        using var model = RandomModel(meta);
        string full = Path.Combine(dir, "full.safetensors"), half = Path.Combine(dir, "half.safetensors");
        ModelFile.Save(full, model, meta);
        ModelFile.Save(half, model, meta, ScalarType.Float16);
        Assert.That(new FileInfo(half).Length, Is.LessThan(new FileInfo(full).Length * 0.6));
        Assert.That(Safetensors.ReadHeader(half).Tensors.Select(t => t.DType), Is.All.EqualTo(SafetensorsDType.F16));
        using var loaded = ModelFile.Load(half);
        Assert.That(loaded.Net.parameters().First().dtype, Is.EqualTo(ScalarType.Float32));
        var a = Output(model);
        var b = Output(loaded.Model);
        double maxDiff = a.Zip(b, (p, q) => Math.Abs(p - q)).Max(), scale = a.Max(Math.Abs);
        Assert.That(maxDiff, Is.LessThan(0.02 * scale));
    }

    [Test]
    public void MismatchedCheckpointNamesTheTensorAndBothShapes()
    {
        // Weights of a C=8 network under metadata that claims C=16.
        var meta = Metadata(ModelKind.Teacher);
        using var model = RandomModel(meta);
        var wrong = meta with { Config = Config with { BaseChannels = 16 } };
        string path = Path.Combine(dir, "wrong.safetensors");
        Safetensors.Save(path, model.Net.state_dict(), new Dictionary<string, string> { [ModelFile.MetadataKey] = wrong.ToJson() });
        var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose());
        Assert.That(ex!.Message, Does.Contain(path));
        Assert.That(ex.Message, Does.Contain("tensor 'map_layer0.weight' has shape [32, 8] in the file but the network configuration needs [64, 16]"));
    }

    [Test]
    public void MissingAndUnexpectedTensorsAreNamed()
    {
        var meta = Metadata(ModelKind.Teacher);
        using var model = RandomModel(meta);
        var state = new Dictionary<string, Tensor>(model.Net.state_dict());
        state.Remove("out_conv.bias");
        string p1 = Path.Combine(dir, "missing.safetensors");
        Safetensors.Save(p1, state, new Dictionary<string, string> { [ModelFile.MetadataKey] = meta.ToJson() });
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelFile.Load(p1).Dispose())!.Message,
            Does.Contain("tensor 'out_conv.bias' (shape [3]) required by the network configuration is missing"));

        using var extra = ones(2);
        state = new Dictionary<string, Tensor>(model.Net.state_dict()) { ["zzz.extra"] = extra };
        string p2 = Path.Combine(dir, "extra.safetensors");
        Safetensors.Save(p2, state, new Dictionary<string, string> { [ModelFile.MetadataKey] = meta.ToJson() });
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelFile.Load(p2).Dispose())!.Message,
            Does.Contain("'zzz.extra' (shape [2]) that the network configuration does not use"));
    }

    [Test]
    public void FileWithoutModelMetadataIsRejected()
    {
        string path = Path.Combine(dir, "plain.safetensors");
        using var a = ones(1);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = a });
        var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose());
        Assert.That(ex!.Message, Does.Contain("cm.metadata"));
    }

    [TestCase("{\"kind\": \"teacher\"}", "config")]
    [TestCase("not json", "not valid")]
    [TestCase("{\"kind\": \"wizard\", \"config\": {}}", "not valid")]
    public void BadMetadataJsonIsRejected(string json, string expected)
    {
        string path = Path.Combine(dir, "bad.safetensors");
        using var a = ones(1);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = a }, new Dictionary<string, string> { [ModelFile.MetadataKey] = json });
        var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose());
        Assert.That(ex!.Message, Does.StartWith(path));
        Assert.That(ex.Message, Does.Contain(expected));
    }

    [Test]
    public void InvalidConfigInMetadataIsRejected()
    {
        var bad = Metadata(ModelKind.Teacher) with { Config = Config with { ResBlocksPerLevel = 0 } };
        string path = Path.Combine(dir, "bad.safetensors");
        using var a = ones(1);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = a }, new Dictionary<string, string> { [ModelFile.MetadataKey] = bad.ToJson() });
        var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose());
        Assert.That(ex!.Message, Does.Contain("ResBlocksPerLevel"));
    }

    [Test]
    public void SaveRejectsMetadataThatDoesNotDescribeTheModel()
    {
        var meta = Metadata(ModelKind.Teacher);
        using var model = RandomModel(meta);
        string path = Path.Combine(dir, "m.safetensors");
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, meta with { Kind = ModelKind.Consistency }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, meta with { Config = Config with { Dropout = 0.2 } }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, meta with { ClassNames = ["one"] }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, meta with { MultistepTaus = [1.0, 2.0] }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(Path.Combine(dir, "m.json"), model, meta));
        Assert.That(Directory.GetFiles(dir), Is.Empty);
    }

    [Test]
    public void MutatedModelFilesOnlyEverCauseModelFormatException()
    {
        var meta = Metadata(ModelKind.Consistency, UNetConfig.Tiny with { ChannelMultipliers = [1], AttentionLevels = [], ClassCount = 2 });
        using var model = RandomModel(meta);
        string path = Path.Combine(dir, "m.safetensors");
        ModelFile.Save(path, model, meta);
        byte[] valid = File.ReadAllBytes(path);
        int headerEnd = (int)Safetensors.ReadHeader(path).DataStart;
        var rng = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            byte[] f = (byte[])valid.Clone();
            for (int k = rng.Next(1, 3); k > 0; k--)
                f[rng.Next(headerEnd)] = (byte)rng.Next(32, 127);
            try
            {
                using var loaded = ModelFile.Load(new MemoryStream(f), "fuzz");
            }
            catch (ModelFormatException)
            {
            }
        }
    }

    /// <summary>Metadata written before the method and sampling kind were enums: "edm" and "" methods, "flow-matching",
    /// no "sampling" (inferred from kind, method and grid).</summary>
    [TestCase("teacher", "edm", "[]", TrainingMethod.Teacher, SamplingKind.Ode)]
    [TestCase("teacher", "rectified", "[]", TrainingMethod.Rectified, SamplingKind.FewStep)]
    [TestCase("teacher", "progressive", "[80, 0]", TrainingMethod.Progressive, SamplingKind.FewStep)]
    [TestCase("teacher", "", "[80, 1.5, 0]", TrainingMethod.Unknown, SamplingKind.FewStep)]
    [TestCase("consistency", "cd", "[]", TrainingMethod.Cd, SamplingKind.Consistency)]
    [TestCase("consistency", "", "[]", TrainingMethod.Unknown, SamplingKind.Consistency)]
    public void OlderMetadataStringsStillRead(string kind, string method, string grid, TrainingMethod expected, SamplingKind sampling)
    {
        string json = $$"""
            { "formatVersion": 1, "kind": "{{kind}}", "config": {{System.Text.Json.JsonSerializer.Serialize(Config, ModelMetadata.JsonOptions)}},
              "method": "{{method}}", "samplingSigmas": {{grid}}, "diffusionForm": "flow-matching" }
            """;
        var m = ModelMetadata.FromJson(json, "old.json");
        Assert.That(m.Method, Is.EqualTo(expected));
        Assert.That(m.Sampling, Is.EqualTo(sampling));
        Assert.That(m.DiffusionForm, Is.EqualTo(DiffusionFormKind.Flow));
        // Written back with the current names, read back equal.
        Assert.That(m.ToJson(), Does.Contain("\"diffusionForm\": \"flow\"").And.Contain($"\"sampling\": \"{EnumNames.Of(sampling)}\""));
        Assert.That(ModelMetadata.FromJson(m.ToJson(), "new.json"), Is.EqualTo(m));
    }

    [Test]
    public void UnknownMethodOrInconsistentSamplingIsAFormatError()
    {
        string config = System.Text.Json.JsonSerializer.Serialize(Config, ModelMetadata.JsonOptions);
        var e = Assert.Throws<ModelFormatException>(() => ModelMetadata.FromJson($$"""{ "kind": "teacher", "config": {{config}}, "method": "magic" }""", "m.json"));
        Assert.That(e!.Message, Does.Contain("magic").And.Contain("rectified"));
        e = Assert.Throws<ModelFormatException>(() => ModelMetadata.FromJson($$"""{ "kind": "teacher", "config": {{config}}, "sampling": "consistency" }""", "m.json"));
        Assert.That(e!.Message, Does.Contain("sampling consistency"));
    }

    [Test]
    public void TheCommittedDefaultModelStillLoads()
    {
        string? path = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && path is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "runtime", "models", "default.safetensors");
            if (File.Exists(candidate)) path = candidate;
        }
        Assert.That(path, Is.Not.Null, "runtime/models/default.safetensors");
        var m = ModelFile.ReadMetadata(path!);
        Assert.That((m.Method, m.Sampling, m.DiffusionForm), Is.EqualTo((TrainingMethod.Cd, SamplingKind.Consistency, DiffusionFormKind.Ve)));
        using var loaded = ModelFile.Load(path!, CPU);
        Assert.That(loaded.Kind, Is.EqualTo(ModelKind.Consistency));
    }
}
