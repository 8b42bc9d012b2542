using System.Text.RegularExpressions;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime;
using Microsoft.ML.OnnxRuntime;
using ModelMetadata = ConsistencyModels.IO.ModelMetadata;
using static ConsistencyModels.Onnx.Tests.OnnxTestSupport;
using static TorchSharp.torch;

namespace ConsistencyModels.Onnx.Tests;

/// <summary>
/// The exported ONNX file, run in ONNX Runtime's CPU provider, against the TorchSharp model on the same inputs:
/// several sizes (square and not), per-sample σ from ε to σmax and classes; tiny networks with attention, the stem,
/// zero and circular padding, both noise embeddings and both preconditionings, and the committed default model.
/// </summary>
[TestFixture]
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-4;

    /// <summary>The tiny config (attention at level 1, circular, positional, 3 classes) as a consistency model.</summary>
    private static ModelMetadata TinyConsistency => new()
    {
        Kind = ModelKind.Consistency,
        Config = UNetConfig.Tiny with { ClassCount = 3 },
        ClassNames = ["a", "b", "c"],
        MultistepTaus = [2.5],
        Method = ConsistencyModels.Training.TrainingMethod.Cd,
    };

    /// <summary>The other branches: stem, attention at full resolution, zero padding, Fourier embedding, unconditional,
    /// an EDM denoiser distilled for Euler steps (rectified).</summary>
    private static ModelMetadata TinyRectified => new()
    {
        Kind = ModelKind.Teacher,
        Config = new UNetConfig
        {
            BaseChannels = 8, ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1, AttentionLevels = [0, 1], PixelUnshuffleStem = true,
            CircularPadding = false, NoiseEmbedding = NoiseEmbeddingKind.Fourier, EmbeddingChannels = 16,
        },
        Method = ConsistencyModels.Training.TrainingMethod.Rectified,
    };

    private static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData("tiny-consistency").SetName("Tiny consistency model (attention, circular, classes)");
        yield return new TestCaseData("tiny-rectified").SetName("Tiny rectified denoiser (stem, attention at level 0, zero padding, fourier)");
        yield return new TestCaseData("default").SetName("Committed default model");
    }

    private static LoadedModel Load(string which) => which switch
    {
        "tiny-consistency" => RandomModel(TinyConsistency, seed: 3),
        "tiny-rectified" => RandomModel(TinyRectified, seed: 4),
        "default" => ModelFile.Load(DefaultModelPath, CPU),
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [TestCaseSource(nameof(Models))]
    public void OnnxRuntimeMatchesTorchSharp(string which)
    {
        using var model = Load(which);
        var export = ModelExport.Build(model);
        using var session = Session(export.Bytes);
        var m = model.Metadata;
        int classes = m.Config.ClassCount;
        float eps = (float)m.SigmaMin, max = (float)m.SigmaMax;
        var cases = new (int h, int w, float[] sigma)[]
        {
            (16, 16, [max, 0.5f]),
            (32, 32, [eps, 2.3f]),
            (48, 32, [12f, 0.05f]),
        };
        int seed = 10;
        foreach (var (h, w, sigma) in cases)
        {
            int b = sigma.Length;
            long[] shape = [b, 3, h, w];
            var x = Gaussian(b * 3 * h * w, seed++);
            for (int i = 0; i < b; i++)
                for (int j = 0; j < 3 * h * w; j++)
                    x[i * 3 * h * w + j] = x[i * 3 * h * w + j] * sigma[i] + (j % 7) * 0.01f; // x₀ + σ·n, roughly
            long[]? labels = classes > 0 ? [0, classes - 1] : null;
            var expected = Reference(model, x, shape, sigma, labels);
            var actual = Run(session, x, shape, sigma, labels);
            double error = MaxAbsDifference(actual, expected);
            double scale = expected.Max(v => Math.Abs(v));
            TestContext.Out.WriteLine($"{which} {h}x{w} sigma [{string.Join(", ", sigma)}]: max |ORT - TorchSharp| = {error:g3} (max |out| {scale:g3})");
            Assert.That(error, Is.LessThanOrEqualTo(Tolerance), $"{which} at {h}x{w}, sigma [{string.Join(", ", sigma)}]");
            Assert.That(scale, Is.GreaterThan(0.01), "the output must not be trivially zero");
        }
    }

    [Test]
    public void BoundaryConditionHoldsExactly()
    {
        // f(x, ε) = x: c_skip(ε) = 1 and c_out(ε) = 0 in float32 too.
        using var model = Load("tiny-consistency");
        using var session = Session(ModelExport.Build(model).Bytes);
        var x = Gaussian(3 * 16 * 16, 5);
        var y = Run(session, x, [1, 3, 16, 16], [(float)model.Metadata.SigmaMin], [1]);
        Assert.That(y, Is.EqualTo(x));
    }

    [Test]
    public void CircularPaddingMakesTheNetworkShiftEquivariant()
    {
        // Rolling the input by a multiple of the downsampling factor rolls the output: seamless tiling survived export.
        using var model = Load("tiny-consistency");
        using var session = Session(ModelExport.Build(model).Bytes);
        int h = 16, w = 16, shift = 4;
        var x = Gaussian(3 * h * w, 6).Select(v => v * 3f).ToArray();
        var rolled = new float[x.Length];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    rolled[(c * h + i) * w + (j + shift) % w] = x[(c * h + i) * w + j];
        var y = Run(session, x, [1, 3, h, w], [3f], [2]);
        var yr = Run(session, rolled, [1, 3, h, w], [3f], [2]);
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    worst = Math.Max(worst, Math.Abs(yr[(c * h + i) * w + (j + shift) % w] - y[(c * h + i) * w + j]));
        Assert.That(worst, Is.LessThan(1e-5));
    }

    [Test]
    public void TwoStepTextureInOnnxRuntimeEqualsTextureGenerator()
    {
        // The plan in the file's metadata, followed with the runtime's noise, gives the runtime's texture.
        using var model = ModelFile.Load(DefaultModelPath, CPU);
        var export = ModelExport.Build(model);
        var plan = OnnxSamplingPlan.FromJson(MetadataOf(export.Bytes)[OnnxExporter.PlanKey]);
        using var session = Session(export.Bytes);
        int h = 32, w = 48, cls = 7;
        ulong seed = 42;
        using var generator = new TextureGenerator(model, ownsModel: false, precision: NetworkPrecision.Float32);
        generator.Threads = 1;
        foreach (int steps in new[] { 1, 2 })
        {
            var expected = new float[3 * h * w];
            generator.Generate(new TextureRequest(w, h, cls, steps, seed, 0), expected);

            float[] z, z2;
            using (var g = new Generator(0, CPU))
            {
                g.manual_seed((long)seed); // as the runtime's SeedNoise draws z, then z′
                using var a = randn([1, 3, h, w], generator: g);
                using var b = randn([1, 3, h, w], generator: g);
                z = a.data<float>().ToArray();
                z2 = b.data<float>().ToArray();
            }
            var step = steps == 1 ? plan.OneStep : plan.TwoSteps;
            var x = z.Select(v => (float)(v * plan.NoiseScale)).ToArray();
            var y = Run(session, x, [1, 3, h, w], [(float)step.Sigmas[0]], [cls]);
            if (steps == 2)
            {
                var input = y.Select((v, i) => (float)step.Input * x[i] + (float)step.Denoised * v + (float)step.Noise * z2[i]).ToArray();
                y = Run(session, input, [1, 3, h, w], [(float)step.Sigmas[1]], [cls]);
            }
            var texture = y.Select(v => Math.Clamp(v, -1f, 1f)).ToArray();
            double error = MaxAbsDifference(texture, expected);
            TestContext.Out.WriteLine($"{steps} step(s): max |ORT texture - TextureGenerator| = {error:g3}");
            Assert.That(error, Is.LessThanOrEqualTo(Tolerance), $"{steps} steps");
        }
        Assert.That(plan.TwoSteps.Sigmas[1], Is.EqualTo(generator.TwoStepTau));
    }

    [Test]
    public void MetadataCarriesTheModelAndThePlan()
    {
        using var model = Load("tiny-consistency");
        var export = ModelExport.Build(model);
        var props = MetadataOf(export.Bytes);
        Assert.That(ModelMetadata.FromJson(props[OnnxExporter.MetadataKey], "onnx"), Is.EqualTo(model.Metadata));
        var plan = OnnxSamplingPlan.FromJson(props[OnnxExporter.PlanKey]);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Sampler, Is.EqualTo("consistency"));
            Assert.That(plan.OneStep.Sigmas, Is.EqualTo(new[] { 80.0 }));
            Assert.That(plan.TwoSteps.Sigmas, Is.EqualTo(new[] { 80.0, 2.5 }));
            Assert.That(plan.TwoSteps.Noise, Is.EqualTo(Math.Sqrt(2.5 * 2.5 - 0.002 * 0.002)));
            Assert.That(plan.TwoSteps.Input, Is.EqualTo(0.0), "consistency sampling restarts from D₀");
            Assert.That(plan.TwoSteps.Denoised, Is.EqualTo(1.0));
            Assert.That(props[OnnxExporter.IoKey], Does.Contain("class int64[batch]"));
        });
        using var session = Session(export.Bytes);
        Assert.That(session.InputMetadata.Keys, Is.EquivalentTo(new[] { "x", "sigma", "class" }));
        Assert.That(session.InputMetadata["x"].Dimensions, Is.EqualTo(new[] { -1, 3, -1, -1 }), "batch, height and width are dynamic");
    }

    [Test]
    public void EulerPlanMatchesTheRuntimesSteps()
    {
        var m = TinyRectified;
        var plan = OnnxSamplingPlan.For(m);
        var grid = ConsistencyModels.Sampling.SamplingPlan.OdeGrid(m, 2);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Sampler, Is.EqualTo("euler"));
            Assert.That(plan.Output, Is.EqualTo("denoiser"));
            Assert.That(plan.TwoSteps.Sigmas, Is.EqualTo(grid.Take(2).ToArray()));
            double k = (grid[1] - grid[0]) / grid[0];
            Assert.That(plan.TwoSteps.Input, Is.EqualTo(1 + k).Within(1e-12));
            Assert.That(plan.TwoSteps.Denoised, Is.EqualTo(-k).Within(1e-12));
            Assert.That(plan.TwoSteps.Noise, Is.EqualTo(0.0));
        });
    }

    [Test]
    public void DiffusionTeacherIsRefused()
    {
        var teacher = TinyConsistency with { Kind = ModelKind.Teacher, Method = ConsistencyModels.Training.TrainingMethod.Teacher };
        var error = Assert.Throws<ArgumentException>(() => OnnxSamplingPlan.For(teacher))!;
        Assert.That(error.Message, Does.Contain("diffusion teacher").And.Contain("cm distill"));
    }

    [Test]
    public void EveryOpUsedIsDocumentedInDocsOnnx()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "ONNX.md"));
        var documented = Regex.Matches(doc, @"^\| `(\w+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var used = new SortedSet<string>();
        foreach (var which in new[] { "tiny-consistency", "tiny-rectified", "default" })
        {
            using var model = Load(which);
            used.UnionWith(ModelExport.Build(model).OpTypes);
        }
        Assert.That(used.Except(documented), Is.Empty, "ops used but missing from the table in docs/ONNX.md");
        Assert.That(documented.Except(used), Is.Empty, "ops in the docs' table that the exporter never uses");
    }

    private static Dictionary<string, string> MetadataOf(byte[] bytes)
    {
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(proto.OpsetImport.Single().Version, Is.EqualTo(OnnxExporter.Opset));
            Assert.That(proto.IrVersion, Is.EqualTo(OnnxExporter.IrVersion));
        });
        return proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
    }
}
