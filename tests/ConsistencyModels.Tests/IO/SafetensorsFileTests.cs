using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Networks.Description;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.IO;

/// <summary>
/// The libtorch-free reader of ConsistencyModels.Core (<see cref="SafetensorsFile"/>, <see cref="ModelWeights"/>)
/// against the TorchSharp reader (<see cref="Safetensors"/>, <see cref="ModelFile"/>) as the oracle: the same names,
/// shapes, dtypes and metadata, and float32 values equal bit for bit to libtorch's <c>to(float32)</c>, on the default
/// model and on files the writer makes as F32, F16, BF16 and F64; corrupt files fail with the same one-line messages.
/// </summary>
public class SafetensorsFileTests
{
    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        dir = Path.Combine(Path.GetTempPath(), "cm-stf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    internal static string DefaultModelPath()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "runtime", "models", "default.safetensors");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail("runtime/models/default.safetensors not found above " + AppContext.BaseDirectory);
        return "";
    }

    /// <summary>Both readers on one file: equal header, metadata and float32 bits of every floating tensor.</summary>
    private static int AssertReadersAgree(string path)
    {
        var core = SafetensorsFile.Open(path);
        using var torchContent = Safetensors.Load(path);
        Assert.That(core.Metadata, Is.EquivalentTo(torchContent.Metadata));
        Assert.That(core.Names, Is.EquivalentTo(torchContent.Tensors.Keys));
        int compared = 0;
        foreach (var info in core.Tensors)
        {
            var t = torchContent.Tensors[info.Name];
            Assert.That(info.Shape, Is.EqualTo(t.shape), info.Name);
            Assert.That(info.DType, Is.EqualTo(SafetensorsScalarTypes.FromScalarType(t.dtype)), info.Name);
            using var contiguous = t.contiguous();
            Assert.That(core.GetBytes(info.Name).ToArray(), Is.EqualTo(contiguous.bytes.ToArray()), info.Name);
            if (!t.is_floating_point()) continue;
            using var f32 = t.to(ScalarType.Float32).contiguous();
            var expected = f32.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            var actual = core.ReadFloat32(info.Name).Select(BitConverter.SingleToInt32Bits).ToArray();
            Assert.That(actual, Is.EqualTo(expected), info.Name);
            compared++;
        }
        return compared;
    }

    [Test]
    public void AgreesBitForBitWithTheTorchReaderOnTheDefaultModel()
    {
        string path = DefaultModelPath();
        int compared = AssertReadersAgree(path);
        Assert.That(compared, Is.GreaterThan(50));
        var weights = ModelWeights.Load(path);
        Assert.That(weights.Metadata, Is.EqualTo(ModelFile.ReadMetadata(path)));
        Assert.That(weights.Network.Parameters.Select(p => p.Name), Is.EquivalentTo(weights.File.Names));
        var fromBytes = ModelWeights.Load(File.ReadAllBytes(path), "bytes");
        using var stream = File.OpenRead(path);
        var fromStream = ModelWeights.Load(stream, "stream");
        foreach (var p in weights.Network.Parameters)
        {
            Assert.That(fromBytes.ReadFloat32(p.Name), Is.EqualTo(weights.ReadFloat32(p.Name)), p.Name);
            Assert.That(fromStream.ReadFloat32(p.Name), Is.EqualTo(weights.ReadFloat32(p.Name)), p.Name);
        }
    }

    private static IEnumerable<TestCaseData> StoredTypes()
    {
        yield return new TestCaseData(null).SetName("ModelFile_F32");
        yield return new TestCaseData(ScalarType.Float16).SetName("ModelFile_F16");
        yield return new TestCaseData(ScalarType.BFloat16).SetName("ModelFile_BF16");
        yield return new TestCaseData(ScalarType.Float64).SetName("ModelFile_F64");
    }

    [TestCaseSource(nameof(StoredTypes))]
    public void AgreesBitForBitOnModelFilesTheWriterMakes(ScalarType? storeAs)
    {
        string path = Path.Combine(dir, "m.safetensors");
        var metadata = new ModelMetadata { Kind = ModelKind.Consistency, Config = UNetConfig.Tiny with { ClassCount = 3 }, Method = TrainingMethod.Cd, ClassNames = ["a", "b", "c"] };
        manual_seed(11);
        using (var model = ModelFile.CreateModel(metadata))
        {
            // Fresh networks have zero-initialized layers: fill every weight with varied values (some tiny, to hit subnormals in F16).
            using var _ = no_grad();
            foreach (var (_, p) in model.Net.state_dict())
                if (p.is_floating_point())
                {
                    using var r = randn_like(p);
                    using var s = r.exp().mul(r);
                    p.copy_(s);
                }
            ModelFile.Save(path, model, metadata, storeAs);
        }
        Assert.That(AssertReadersAgree(path), Is.EqualTo(NetworkDescription.FromConfig(metadata.Config).Parameters.Count()));
        var weights = ModelWeights.Load(path);
        Assert.That(weights.Metadata, Is.EqualTo(metadata));
        using var loaded = ModelFile.Load(path);
        foreach (var (name, t) in loaded.Net.state_dict())
            Assert.That(weights.ReadFloat32(name), Is.EqualTo(t.data<float>().ToArray()), name);
    }

    [Test]
    public void ConvertsSpecialValuesLikeLibtorch()
    {
        float[] values = [0f, -0f, 1e-8f, -6e-8f, 5.9e-5f, 65504f, 70000f, float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, 1f / 3, -2.5e-39f];
        using var f = tensor(values);
        using var d = tensor(values.Select(v => (double)v * (1 + 1e-9)).ToArray());
        using var h = f.to(ScalarType.Float16);
        using var b = f.to(ScalarType.BFloat16);
        string path = Path.Combine(dir, "special.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["f32"] = f, ["f64"] = d, ["f16"] = h, ["bf16"] = b });
        Assert.That(AssertReadersAgree(path), Is.EqualTo(4));
    }

    [Test]
    public void RefusesNonFloatingTensorsAsFloat32()
    {
        using var i = tensor(new long[] { 1, 2 });
        string path = Path.Combine(dir, "int.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["i"] = i });
        var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<ModelFormatException>(() => file.ReadFloat32("i"))!;
        Assert.That(e.Message, Does.StartWith(path).And.Contain("'i' is I64, not a floating type"));
        Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("nope"));
    }

    [TestCaseSource(typeof(SafetensorsTests), nameof(SafetensorsTests.CorruptFiles))]
    public void CorruptFilesGiveTheSameOneLineMessage(byte[] file, string expected)
    {
        var core = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.FromBytes(file, "test.safetensors"))!;
        Assert.That(core, Is.InstanceOf<ModelFormatException>());
        Assert.That(core.Message, Does.StartWith("test.safetensors: not a valid safetensors file:").And.Contain(expected));
        Assert.That(core.Message, Does.Not.Contain("\n"));
        var fromStream = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Read(new MemoryStream(file), "test.safetensors"))!;
        Assert.That(fromStream.Message, Is.EqualTo(core.Message));
        var torchError = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(new MemoryStream(file), "test.safetensors").Dispose())!;
        Assert.That(core.Message, Is.EqualTo(torchError.Message));
    }

    [Test]
    public void RandomMutationsAreRejectedOrReadAlikeByBothReaders()
    {
        using var a = randn(2, 3);
        using var c = ones(4, dtype: ScalarType.Float16);
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, Tensor> { ["alpha"] = a, ["c"] = c }, new Dictionary<string, string> { ["k"] = "v" });
        byte[] valid = ms.ToArray();
        var rng = new Random(777);
        int rejected = 0, accepted = 0;
        for (int iter = 0; iter < 1500; iter++)
        {
            byte[] f = (byte[])valid.Clone();
            if (rng.Next(3) == 0) Array.Resize(ref f, rng.Next(f.Length + 8));
            else for (int k = rng.Next(1, 4); k > 0; k--) f[rng.Next(f.Length)] = (byte)"{}[],:\"0123456789- x"[rng.Next(20)];
            string? coreError = null, torchError = null;
            SafetensorsFile? core = null;
            try { core = SafetensorsFile.FromBytes(f, "m"); } catch (SafetensorsFormatException e) { coreError = e.Message; }
            try
            {
                using var t = Safetensors.Load(new MemoryStream(f), "m");
                Assert.That(core, Is.Not.Null, "the Core reader rejected what the torch reader read");
                foreach (var (name, tensor) in t.Tensors)
                    Assert.That(core!.GetBytes(name).ToArray(), Is.EqualTo(tensor.bytes.ToArray()), name);
            }
            catch (SafetensorsFormatException e) { torchError = e.Message; }
            Assert.That(coreError, Is.EqualTo(torchError));
            if (coreError is null) accepted++; else rejected++;
        }
        Assert.That(rejected, Is.GreaterThan(300));
        Assert.That(accepted, Is.GreaterThan(0));
    }

    [Test]
    public void ModelWeightsRefuseMissingExtraMisshapenAndNonFiniteTensors()
    {
        var metadata = new ModelMetadata { Kind = ModelKind.Consistency, Config = UNetConfig.Tiny with { AttentionLevels = [] }, Method = TrainingMethod.Cd };
        string Save(Action<Dictionary<string, Tensor>> edit)
        {
            string path = Path.Combine(dir, $"w{Guid.NewGuid():N}.safetensors");
            manual_seed(5);
            using var model = ModelFile.CreateModel(metadata);
            var state = model.Net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            using (no_grad()) edit(state);
            Safetensors.Save(path, state, new Dictionary<string, string> { [ModelWeights.MetadataKey] = metadata.ToJson() });
            return path;
        }
        void Refused(string path, string fragment)
        {
            var core = Assert.Throws<ModelFormatException>(() => ModelWeights.Load(path))!;
            var torchError = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path).Dispose())!;
            Assert.That(core.Message, Does.StartWith(path).And.Contain(fragment));
            Assert.That(core.Message, Is.EqualTo(torchError.Message));
        }
        Refused(Save(s => s.Remove("out_conv.bias")), "tensor 'out_conv.bias' (shape [3]) required by the network configuration is missing");
        using var extra = zeros(2);
        Refused(Save(s => s["zzz.extra"] = extra), "tensor 'zzz.extra' (shape [2]) that the network configuration does not use");
        using var wrong = zeros(4);
        Refused(Save(s => s["out_conv.bias"] = wrong), "tensor 'out_conv.bias' has shape [4] in the file but the network configuration needs [3]");
        Refused(Save(s => { using var v = float.NaN.ToScalar(); s["conv_in.weight"].view(-1).narrow(0, 3, 1).fill_(v); }), "1 NaN or infinite value(s)");
        string noMeta = Path.Combine(dir, "nometa.safetensors");
        Safetensors.Save(noMeta, new Dictionary<string, Tensor> { ["x"] = extra });
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelWeights.Load(noMeta))!.Message, Does.Contain("no 'cm.metadata' entry"));
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelWeights.Load(dir))!.Message, Does.Contain("is a directory"));
        Assert.Throws<FileNotFoundException>(() => ModelWeights.Load(Path.Combine(dir, "absent.safetensors")));
    }

    [Test]
    public void CoreDoesNotReferenceTorchSharp()
    {
        var references = typeof(SafetensorsFile).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.That(references, Has.None.Contains("TorchSharp"));
        Assert.That(references, Has.None.EqualTo("ConsistencyModels"));
        Assert.That(typeof(UNetConfig).Assembly, Is.SameAs(typeof(SafetensorsFile).Assembly));
        Assert.That(typeof(NetworkDescription).Assembly, Is.SameAs(typeof(SafetensorsFile).Assembly));
    }
}
