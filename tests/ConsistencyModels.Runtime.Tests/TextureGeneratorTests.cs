using ConsistencyModels.Schedules;
using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Sampling;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Tests;

public class TextureGeneratorTests
{
    private string directory = null!;
    private string modelPath = null!;

    [OneTimeSetUp]
    public void SaveModel()
    {
        directory = TestModels.TempDirectory();
        modelPath = TestModels.Save(directory, TestModels.Metadata());
    }

    [OneTimeTearDown]
    public void DeleteModel() => Directory.Delete(directory, recursive: true);

    private static float[] Generate(TextureGenerator generator, TextureRequest request)
    {
        var data = new float[request.PlanarLength];
        generator.Generate(request, data);
        return data;
    }

    // The oracle: the library's reference sampler on an independently loaded copy of the model.
    private float[] Reference(TextureRequest request)
    {
        using var loaded = ModelFile.Load(modelPath, CPU);
        using var labels = tensor(new long[] { request.ClassIndex });
        using var sample = ModelSampler.Generate(loaded.Model, loaded.Metadata, SamplerKind.Consistency, request.Steps,
            1, request.Height, request.Width, labels, (long)request.Seed);
        return sample.data<float>().ToArray();
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();

    [TestCase(1, 0, 5UL, 16, 8)]
    [TestCase(2, 2, 9UL, 8, 16)]
    [TestCase(2, 1, 123456789UL, 12, 12)]
    public void OutputEqualsModelSamplerForSeedStepsAndClass(int steps, int classIndex, ulong seed, int width, int height)
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(width, height, classIndex, steps, seed, 0);
        var actual = Generate(generator, request);
        var expected = Reference(request);
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        Assert.That(MaxAbsDiff(actual, expected), Is.LessThanOrEqualTo(1e-6));
        Assert.That(actual.Max() - actual.Min(), Is.GreaterThan(0.05f), "sanity: not a flat texture");
    }

    [Test]
    public void TwoStepsUseTheMetadataTau()
    {
        var dir = TestModels.TempDirectory();
        try
        {
            var path = TestModels.Save(dir, TestModels.Metadata(taus: [0.8]));
            using var generator = new TextureGenerator(path, CPU);
            Assert.That(generator.TwoStepTau, Is.EqualTo(0.8));
            using var defaults = new TextureGenerator(modelPath, CPU);
            Assert.That(defaults.TwoStepTau, Is.EqualTo(SamplingPlan.ConsistencyTaus(defaults.Metadata, 2)[0]));
            Assert.That(defaults.TwoStepTau, Is.InRange(0.5, 10.0), "the documented default: index 20 of a 40-point Karras grid");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void SameSeedTwiceGivesTheIdenticalTextureEvenWithOtherSeedsInBetween()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 1, 2, 42, 0);
        var first = Generate(generator, request);
        for (ulong s = 0; s < 5; s++) Generate(generator, request with { Seed = 100 + s, Steps = 1 + (int)(s % 2) });
        Assert.That(Generate(generator, request), Is.EqualTo(first).AsCollection);
    }

    [Test]
    public void DifferentClassOrSeedGivesADifferentTexture()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 0, 1, 42, 0);
        var baseline = Generate(generator, request);
        Assert.That(MaxAbsDiff(Generate(generator, request with { ClassIndex = 1 }), baseline), Is.GreaterThan(1e-3), "class");
        Assert.That(MaxAbsDiff(Generate(generator, request with { Seed = 43 }), baseline), Is.GreaterThan(1e-3), "seed");
        Assert.That(MaxAbsDiff(Generate(generator, request with { Steps = 2 }), baseline), Is.GreaterThan(1e-3), "steps");
    }

    [Test]
    public void ResizingReallocatesOnlyOnSizeChangeAndStaysExact()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        TextureRequest[] requests =
        [
            new(16, 16, 0, 1, 3, 0), new(16, 16, 0, 2, 4, 0), new(8, 24, 2, 2, 5, 0), new(8, 24, 1, 1, 6, 0), new(16, 16, 0, 1, 3, 0),
        ];
        foreach (var r in requests)
            Assert.That(MaxAbsDiff(Generate(generator, r), Reference(r)), Is.LessThanOrEqualTo(1e-6), r.ToString());
        Assert.That(generator.Allocations, Is.EqualTo(3));
        Assert.That((generator.BufferWidth, generator.BufferHeight), Is.EqualTo((16, 16)));
    }

    [Test]
    public void WholePhasesAreTheNextSeedsAndFractionsMoveSmoothlyBetween()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 0, 2, 10, 0);
        var at0 = Generate(generator, request);
        var at1 = Generate(generator, request with { Phase = 1 });
        var at3 = Generate(generator, request with { Phase = 3 });
        Assert.That(at1, Is.EqualTo(Generate(generator, request with { Seed = 11 })).AsCollection, "phase 1 = seed + 1");
        Assert.That(at3, Is.EqualTo(Reference(request with { Seed = 13 })).Within(1e-6).AsCollection, "phase 3 = seed + 3");
        var near0 = Generate(generator, request with { Phase = 1e-4 });
        var near1 = Generate(generator, request with { Phase = 1 - 1e-4 });
        var middle = Generate(generator, request with { Phase = 0.5 });
        double jump = MaxAbsDiff(at0, at1);
        Assert.That(MaxAbsDiff(near0, at0), Is.LessThan(0.05 * jump), "continuous at the start");
        Assert.That(MaxAbsDiff(near1, at1), Is.LessThan(0.05 * jump), "continuous at the end");
        Assert.That(MaxAbsDiff(middle, at0), Is.GreaterThan(0.05 * jump), "the middle is neither end");
        Assert.That(MaxAbsDiff(middle, at1), Is.GreaterThan(0.05 * jump));
    }

    [Test]
    public void BadRequestsAreRejectedWithClearMessages()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var buffer = new float[3 * 16 * 16];
        var e = Assert.Throws<ArgumentException>(() => generator.Generate(new TextureRequest(15, 16, 0, 1, 1, 0), buffer));
        Assert.That(e!.Message, Does.Contain("multiples of its downsampling factor 2"));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new TextureRequest(16, 16, 0, 3, 1, 0), buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new TextureRequest(16, 16, 3, 1, 1, 0), buffer));
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new TextureRequest(16, 16, 0, 1, 1, 0), new float[100]));
        Assert.That(e!.Message, Does.Contain("768"));
    }

    [Test]
    public void TeacherModelsAreRejectedWithWhatToUseInstead()
    {
        var dir = TestModels.TempDirectory();
        try
        {
            var path = TestModels.Save(dir, TestModels.Metadata(ModelKind.Teacher) with { Method = TrainingMethod.Teacher });
            var e = Assert.Throws<ModelFormatException>(() => new TextureGenerator(path, CPU));
            TestContext.Out.WriteLine(e!.Message);
            Assert.That(e.Message, Does.Contain("tens of steps").And.Contain("consistency model").And.Contain("rectified"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestCase(1, TrainingMethod.Rectified)]
    [TestCase(2, TrainingMethod.Rectified)]
    [TestCase(1, TrainingMethod.Progressive)]
    [TestCase(2, TrainingMethod.Progressive)]
    public void FewStepDenoisersAreSampledWithEulerExactlyLikeModelSampler(int steps, TrainingMethod method)
    {
        var dir = TestModels.TempDirectory();
        try
        {
            // The default model's layout at a tiny width; progressive distillation leaves its own 2-step grid.
            var config = UNetConfig.Small with { BaseChannels = 8, ClassCount = 3 };
            var metadata = TestModels.Metadata(ModelKind.Teacher, config: config) with
            {
                Method = method,
                SamplingSigmas = method == TrainingMethod.Progressive ? [80.0, 1.5, 0.0] : [],
            };
            string path = TestModels.Save(dir, metadata, name: "fewstep.safetensors");
            Assert.That(metadata.Sampling, Is.EqualTo(SamplingKind.FewStep));
            using var compiled = new TextureGenerator(path, CPU, NetworkPrecision.Float32);
            using var module = new TextureGenerator(path, CPU, NetworkPrecision.Float32, compile: false);
            Assert.That(compiled.Plan(2).Sampler, Is.EqualTo(SamplerKind.Euler));
            Assert.That(compiled.TwoStepTau, Is.EqualTo(SamplingPlan.OdeGrid(metadata, 2)[1]));
            // Its own 2-step grid for progressive; else the mid-trajectory default (index 20 of the 40-point Karras
            // grid, ≈ 2.3), not the Karras 2-step grid's σmin, where the second evaluation changes almost nothing.
            Assert.That(compiled.TwoStepTau, Is.EqualTo(method == TrainingMethod.Progressive ? 1.5
                : KarrasSchedule.Sigmas(40, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho, appendZero: false)[20]), "σ₁ of the 2-step plan");

            var request = new TextureRequest(16, 16, 2, steps, 77, 0);
            using var loaded = ModelFile.Load(path, CPU);
            using var labels = tensor(new long[] { request.ClassIndex });
            using var sample = ModelSampler.Generate(loaded.Model, loaded.Metadata, SamplerKind.Euler, steps, 1, 16, 16, labels, (long)request.Seed);
            var expected = sample.data<float>().ToArray();
            var a = Generate(compiled, request);
            var b = Generate(module, request);
            TestContext.Out.WriteLine($"{method}, {steps} step(s): compiled {MaxAbsDiff(a, expected):E2}, module {MaxAbsDiff(b, expected):E2} from ModelSampler");
            // The last Euler step lands on D exactly here; EulerSolver computes x + (0 − σ)(x − D)/σ, which cancels
            // in float32 at |x| ≈ 4σmax = 320: 320 · 2⁻²⁴ · a few ≈ 2e-5 (measured 2.3e-5 at most).
            Assert.That(MaxAbsDiff(a, expected), Is.LessThanOrEqualTo(1e-4));
            Assert.That(MaxAbsDiff(a, b), Is.LessThanOrEqualTo(1e-6), "compiled = module");
            Assert.That(a.Max() - a.Min(), Is.GreaterThan(0.05f), "sanity: not a flat texture");
            if (steps == 2)
            {
                var oneStep = Generate(compiled, request with { Steps = 1 });
                Assert.That(MaxAbsDiff(a, oneStep), Is.GreaterThan(1e-4), "sanity: the second step does something");
            }

            // No managed allocation in steady state on the Euler path either.
            var destination = new float[request.PlanarLength];
            for (int i = 0; i < 12; i++) compiled.Generate(request with { Phase = i * 0.1 }, destination);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 12; i < 32; i++) compiled.Generate(request with { Phase = i * 0.1 }, destination);
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void StreamConstructorLoadsTheSameModel()
    {
        using var stream = File.OpenRead(modelPath);
        using var generator = new TextureGenerator(stream, "tiny (stream)", CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 2, 1, 7, 0);
        Assert.That(Generate(generator, request), Is.EqualTo(Reference(request)).Within(1e-6).AsCollection);
        Assert.That(generator.ClassNames, Is.EqualTo(TestModels.ClassNames).AsCollection);
    }

    [Test]
    public void LoadDefaultLoadsTheEmbeddedModelOrSaysItIsMissing()
    {
        if (TextureGenerator.HasDefaultModel)
        {
            using var generator = TextureGenerator.LoadDefault(CPU);
            var m = generator.SizeMultiple;
            var data = Generate(generator, new TextureRequest(2 * m, 2 * m, 0, 1, 1, 0));
            Assert.That(data.All(float.IsFinite), Is.True);
            Assert.That(generator.ClassNames, Is.Not.Empty);
        }
        else
        {
            var e = Assert.Throws<FileNotFoundException>(() => TextureGenerator.LoadDefault(CPU));
            Assert.That(e!.Message, Does.Contain("default model").And.Contain(TextureGenerator.DefaultModelAssemblyName));
        }
    }

    [Test]
    public void RuntimeStagesAllocateNoManagedMemoryInSteadyState()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(16, 16, 1, 2, 5, 0);
        var destination = new float[request.PlanarLength];
        using var output = rand(1, 3, 16, 16).Times(4).Minus(2);
        void Frame(int i)
        {
            // Phases cross whole numbers (new seeds drawn into the cache) and land on them exactly.
            var r = request with { Phase = i * 0.25, Steps = 1 + i % 2 };
            generator.Validate(r, destination.Length);
            generator.PrepareNoise(r);
            generator.CopyOut(output, destination);
        }
        for (var i = 0; i < 20; i++) Frame(i);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 20; i < 220; i++) Frame(i);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.EqualTo(0));
        Assert.That(destination.Max(), Is.EqualTo(1f), "CopyOut clamps to [-1, 1]");
        Assert.That(destination.Min(), Is.EqualTo(-1f));
    }

    [Test]
    public void ModulePathManagedAllocationIsBoundedAndConstant()
    {
        // The op-by-op module path (compile: false) allocates TorchSharp's managed Tensor wrappers (one per op) and
        // the dispose scope: bounded and not growing. The compiled default allocates nothing (tested below).
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32, compile: false);
        var request = new TextureRequest(8, 8, 0, 2, 5, 0);
        var destination = new float[request.PlanarLength];
        long Window(int start)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = start; i < start + 20; i++) generator.Generate(request with { Phase = i * 0.1 }, destination);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Window(0);
        var first = Window(20);
        var second = Window(40);
        TestContext.Out.WriteLine($"managed bytes per 2-step frame (tiny model): {first / 20} then {second / 20}");
        Assert.That(first / 20, Is.LessThan(256 * 1024), "measured ≈ 93 KB per 2-step frame of the tiny model (2 forwards, ~150 ops each)");
        Assert.That(first / 20, Is.GreaterThan(1000), "sanity: the module path is what runs here");
        Assert.That(Math.Abs(second - first), Is.LessThanOrEqualTo(first / 10), "no growth");
    }

    [Test]
    public void ThreadsAreTunedPerSizeOrFixedAndDoNotChangeTheTexture()
    {
        int original = get_num_threads();
        try
        {
            set_num_threads(2);
            using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
            var request = new TextureRequest(16, 16, 1, 1, 9, 0);
            var destination = new float[request.PlanarLength];
            Assert.That(generator.TunedThreads(16, 16), Is.Null);
            var tuner = new ThreadCountTuner(2);
            for (int i = 0; i < tuner.TuningFrames; i++) generator.Generate(request, destination);
            Assert.That(generator.TunedThreads(16, 16), Is.AnyOf(1, 2), "tuned after the tuning frames");
            Assert.That(generator.TunedThreads(8, 8), Is.Null, "each size on its own");
            generator.Generate(request, destination);
            Assert.That(get_num_threads(), Is.EqualTo(generator.TunedThreads(16, 16)), "the chosen count is in effect from the next frame");

            generator.Threads = 1;
            var one = Generate(generator, request);
            Assert.That(get_num_threads(), Is.EqualTo(1));
            generator.Threads = 2;
            var two = Generate(generator, request);
            Assert.That(get_num_threads(), Is.EqualTo(2));
            Assert.That(MaxAbsDiff(one, two), Is.LessThanOrEqualTo(1e-6), "thread count changes float rounding at most");
            Assert.That(generator.TunedThreads(16, 16), Is.Null, "an explicit count overrides tuning");
            Assert.Throws<ArgumentOutOfRangeException>(() => generator.Threads = 0);
        }
        finally
        {
            set_num_threads(original);
        }
    }

    [Test]
    public void DisposeFreesEveryTensorItCreated()
    {
        // Measured against a model loaded outside the generator: ModelFile.Load itself leaves counted tensor
        // wrappers behind (src/, reported), which is not the generator's doing.
        using var loaded = ModelFile.Load(modelPath, CPU);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Tensor.TotalCount;
        var generator = new TextureGenerator(loaded, ownsModel: false, precision: NetworkPrecision.Float32);
        var destination = new float[3 * 16 * 16];
        generator.Generate(new TextureRequest(16, 16, 0, 2, 1, 0.5), destination);
        generator.Generate(new TextureRequest(8, 8, 0, 2, 1, 0.5), destination);
        Assert.That(Tensor.TotalCount, Is.GreaterThan(before), "sanity: the generator holds tensors");
        generator.Dispose();
        Assert.That(Tensor.TotalCount, Is.EqualTo(before));
        Assert.Throws<ObjectDisposedException>(() => generator.Generate(new TextureRequest(8, 8, 0, 1, 1, 0), destination));
        generator.Dispose(); // idempotent
        Assert.That(loaded.Model.parameters().First().IsInvalid, Is.False, "a borrowed model stays usable");
    }

    [Test]
    public void AutoPrecisionIsBFloat16ExactlyWhenTheCpuHasNativeBf16()
    {
        var expected = NetworkPrecisions.CpuHasNativeBFloat16 ? NetworkPrecision.BFloat16 : NetworkPrecision.Float32;
        TestContext.Out.WriteLine($"native bf16: {NetworkPrecisions.CpuHasNativeBFloat16}");
        Assert.That(NetworkPrecisions.Resolve(NetworkPrecision.Auto, CPU), Is.EqualTo(expected));
        Assert.That(NetworkPrecisions.Resolve(NetworkPrecision.Float32, CPU), Is.EqualTo(NetworkPrecision.Float32));
        Assert.That(NetworkPrecisions.Resolve(NetworkPrecision.BFloat16, CPU), Is.EqualTo(NetworkPrecision.BFloat16));
        // The module path converts the module itself, so its description names one precision.
        using var generator = new TextureGenerator(modelPath, CPU, compile: false);
        Assert.That(generator.Precision, Is.EqualTo(expected));
        Assert.That(generator.Description, Does.EndWith(NetworkPrecisions.ShortName(expected)));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void BFloat16TextureStaysCloseToFloat32AndIsDeterministic(int steps)
    {
        // The module path (compile: false) with attention; the compiled bf16 copies are tested below.
        using var fp32 = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32, compile: false);
        using var bf16 = new TextureGenerator(modelPath, CPU, NetworkPrecision.BFloat16, compile: false);
        Assert.That(bf16.Model.parameters().All(p => p.dtype == ScalarType.BFloat16), "the network really runs in bf16");
        var request = new TextureRequest(16, 16, 1, steps, 42, 0);
        var exact = Generate(fp32, request);
        var reduced = Generate(bf16, request);
        double max = MaxAbsDiff(exact, reduced);
        double mean = exact.Zip(reduced, (x, y) => (double)Math.Abs(x - y)).Average();
        TestContext.Out.WriteLine($"{steps} step(s): max |bf16 − fp32| = {max:E2}, mean {mean:E2}");
        Assert.That(max, Is.GreaterThan(0), "bf16 rounding must show somewhere");
        // bf16 keeps 8 significant bits (relative step 2^-8 ≈ 0.004); through the network that stays below one
        // RGBA8 level (2/255 ≈ 0.008) on average (measured ≈ 0.003 with the noise embedding kept in float32).
        Assert.That(mean, Is.LessThan(0.008));
        Assert.That(max, Is.LessThan(0.05));
        Assert.That(Generate(bf16, request), Is.EqualTo(reduced).AsCollection, "same seed, same texture");
    }

    [TestCase(1)]
    [TestCase(2)]
    public void CompiledForwardGivesTheSameTextureWithNoManagedAllocationPerFrame(int steps)
    {
        // The default model's layout (stem, circular padding, classes, no attention) at a tiny width.
        var dir = TestModels.TempDirectory();
        try
        {
            var config = UNetConfig.Small with { BaseChannels = 8, ClassCount = 3 };
            string path = TestModels.Save(dir, TestModels.Metadata(config: config), name: "noattn.safetensors");
            using var compiled = new TextureGenerator(path, CPU, NetworkPrecision.Float32);
            using var module = new TextureGenerator(path, CPU, NetworkPrecision.Float32, compile: false);
            Assert.That(compiled.IsCompiled, Is.True);
            Assert.That(module.IsCompiled, Is.False);
            Assert.That(compiled.Description, Does.EndWith("torchscript"));
            var request = new TextureRequest(16, 16, 2, steps, 77, 0.25);
            var a = Generate(compiled, request);
            var b = Generate(module, request);
            Assert.That(MaxAbsDiff(a, b), Is.LessThanOrEqualTo(1e-6));
            Assert.That(a.Max() - a.Min(), Is.GreaterThan(0.05f), "sanity: not a flat texture");

            long Bytes(TextureGenerator g)
            {
                var destination = new float[request.PlanarLength];
                for (int i = 0; i < 5; i++) g.Generate(request with { Phase = i * 0.1 }, destination);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 5; i < 25; i++) g.Generate(request with { Phase = i * 0.1 }, destination);
                return (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
            }
            long compiledBytes = Bytes(compiled), moduleBytes = Bytes(module);
            TestContext.Out.WriteLine($"{steps} step(s): managed bytes per frame: compiled {compiledBytes}, module {moduleBytes}");
            Assert.That(moduleBytes, Is.GreaterThan(1000), "sanity: the counter sees the module path's wrappers");
            Assert.That(compiledBytes, Is.EqualTo(0), "noise, slerp, the native TorchScript calls and the copy-out");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void CompiledAutoPrecisionUsesBf16CopiesWhereTheCpuHasNativeBf16AndLeavesTheModuleFloat32()
    {
        var dir = TestModels.TempDirectory();
        try
        {
            var config = UNetConfig.Small with { BaseChannels = 8, ClassCount = 3 };
            string path = TestModels.Save(dir, TestModels.Metadata(config: config), name: "noattn.safetensors");
            using var auto = new TextureGenerator(path, CPU);
            using var fp32 = new TextureGenerator(path, CPU, NetworkPrecision.Float32);
            using var bf16 = new TextureGenerator(path, CPU, NetworkPrecision.BFloat16);
            bool native = NetworkPrecisions.CpuHasNativeBFloat16;
            Assert.That(auto.Precision, Is.EqualTo(native ? NetworkPrecision.BFloat16 : NetworkPrecision.Float32));
            Assert.That(bf16.Precision, Is.EqualTo(NetworkPrecision.BFloat16));
            Assert.That(fp32.Precision, Is.EqualTo(NetworkPrecision.Float32));
            Assert.That(auto.Model.parameters().All(p => p.dtype == ScalarType.Float32), "the module stays float32");
            Assert.That(bf16.Model.parameters().All(p => p.dtype == ScalarType.Float32), "the module stays float32; bf16 uses copies");

            var request = new TextureRequest(16, 16, 1, 2, 5, 0);
            var exact = Generate(fp32, request);
            var reduced = Generate(bf16, request);
            double mean = exact.Zip(reduced, (x, y) => (double)Math.Abs(x - y)).Average();
            TestContext.Out.WriteLine($"compiled bf16 vs fp32: max {MaxAbsDiff(exact, reduced):E2}, mean {mean:E2}");
            Assert.That(MaxAbsDiff(exact, reduced), Is.GreaterThan(0).And.LessThan(0.05));
            Assert.That(mean, Is.LessThan(0.008));
            Assert.That(Generate(auto, request), Is.EqualTo(native ? reduced : exact).AsCollection, "Auto is the bf16 path exactly where the CPU has native bf16");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
