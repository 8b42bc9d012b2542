using ConsistencyModels.Platform;
using TorchSharp;
using ConsistencyModels.Networks;
using ConsistencyModels.Inference;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;
using static ConsistencyModels.Tests.Networks.NetworkTestHelpers;

namespace ConsistencyModels.Tests.Inference;

public class TorchScriptDenoiserTests
{
    private static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 5 }, 16).SetName("Small: stem, circular, classes");
        yield return new TestCaseData(UNetConfig.Tiny with { AttentionLevels = [], CircularPadding = false }, 8).SetName("Tiny: no stem, zero padding, unconditional");
        yield return new TestCaseData(UNetConfig.Tiny with { AttentionLevels = [], ResBlocksPerLevel = 2, NoiseEmbedding = NoiseEmbeddingKind.Fourier, ClassCount = 3 }, 12)
            .SetName("Tiny: two blocks per level, Fourier embedding");
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 2 }, 8).SetName("Tiny: attention at level 1 (one head)");
        yield return new TestCaseData(UNetConfig.Tiny with { BaseChannels = 64, AttentionLevels = [0, 1] }, 8)
            .SetName("Attention at every level and in the middle, two heads at level 1");
    }

    [TestCaseSource(nameof(Configs))]
    public void CompiledForwardEqualsTheModuleForward(UNetConfig config, int size)
    {
        using var net = RandomNet(config, seed: 3);
        // Small weights keep activations moderate, so float rounding differences stay small too.
        Randomize(net, 3, scale: 0.05);
        using var model = new ConsistencyPrecond(net);
        model.eval();
        using var compiled = new TorchScriptDenoiser(model);
        using var x = randn(2, 3, size, size).Times(5);
        using var labels = config.ClassCount > 0 ? tensor(new long[] { 0, config.ClassCount - 1 }) : null;
        using var _ = no_grad();
        foreach (double sigma in new[] { 80.0, 2.5, 0.002 })
        {
            using var c = model.CoefficientsAt(sigma, ScalarType.Float32, CPU);
            using var sigmaTensor = ScalarArithmetic.Full([1], sigma, ScalarType.Float64);
            using var expected = model.forward(x, sigmaTensor, labels);
            using var actual = compiled.Forward(x, c, labels);
            double err = (actual - expected).abs().max().item<float>();
            double scale = expected.abs().max().item<float>();
            TestContext.Out.WriteLine($"σ = {sigma}: max |compiled − module| = {err:E2} (max |D| = {scale:F2})");
            Assert.That(actual.shape, Is.EqualTo(expected.shape));
            Assert.That(err, Is.LessThanOrEqualTo(1e-5 * Math.Max(1, scale)), $"σ = {sigma}");
        }
        // The same weights tensors are read: changing the module changes the compiled result.
        using (no_grad()) net.parameters().Last().AddInPlace(1.0);
        using var c80 = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var s80 = ScalarArithmetic.Full([1], 80.0, ScalarType.Float64);
        using var moved = model.forward(x, s80, labels);
        using var movedCompiled = compiled.Forward(x, c80, labels);
        Assert.That((moved - movedCompiled).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-4f));
    }

    [Test]
    public void Bf16CopiesLeaveTheModuleAloneAndStayCloseToFloat32()
    {
        using var net = RandomNet(UNetConfig.Small with { ClassCount = 2 }, seed: 5);
        Randomize(net, 5, scale: 0.05);
        using var model = new ConsistencyPrecond(net);
        model.eval();
        using var fp32 = new TorchScriptDenoiser(model);
        using var bf16 = new TorchScriptDenoiser(model, ScalarType.BFloat16);
        Assert.That(fp32.WeightType, Is.EqualTo(ScalarType.Float32));
        Assert.That(bf16.WeightType, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(model.parameters().All(p => p.dtype == ScalarType.Float32), "the module is not converted");
        using var c = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 16, 16).Times(80);
        using var labels = tensor(new long[] { 1 });
        using var _ = no_grad();
        using var a = fp32.Forward(x, c, labels);
        using var b = bf16.Forward(x, c, labels);
        Assert.That(b.dtype, Is.EqualTo(ScalarType.Float32), "outputs are float32 whatever the weights");
        double err = (a - b).abs().max().item<float>(), scale = a.abs().max().item<float>();
        TestContext.Out.WriteLine($"max |bf16 − fp32| = {err:E2} (max |D| = {scale:F2})");
        Assert.That(err, Is.GreaterThan(0).And.LessThan(0.02 * scale));
        bf16.Dispose();
        using var again = fp32.Forward(x, c, labels);
        Assert.That((again - a).abs().max().item<float>(), Is.EqualTo(0f), "disposing the copies leaves the module's weights");
    }

    [Test]
    public void LabelsMustMatchTheNetwork()
    {
        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Tiny with { ClassCount = 2 }));
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(1.0, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 8, 8);
        using var labels = tensor(new long[] { 1 });
        Assert.Throws<ArgumentException>(() => compiled.Forward(x, c, null));
        Assert.That(compiled.Source, Does.Contain("def denoise(").And.Contain("attention("));
        using var unconditional = new ConsistencyPrecond(RandomNet(UNetConfig.Tiny));
        using var compiledUnconditional = new TorchScriptDenoiser(unconditional);
        Assert.Throws<ArgumentException>(() => compiledUnconditional.Forward(x, c, labels));
    }

    [TestCase(0)]
    [TestCase(4)]
    public void ForwardIntoAllocatesNoManagedMemory(int classCount)
    {
        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Small with { ClassCount = classCount }));
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 16, 16);
        using var output = empty_like(x);
        using var labels = classCount > 0 ? tensor(new long[] { 1 }) : null;
        using var sigma = ScalarArithmetic.Full([1], 80.0, ScalarType.Float64);
        long Bytes(Action frame)
        {
            for (int i = 0; i < 3; i++) frame();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) frame();
            return (GC.GetAllocatedBytesForCurrentThread() - before) / 50;
        }
        long module;
        using (no_grad()) module = Bytes(() => model.forward(x, sigma, labels).Dispose());
        long direct = Bytes(() => compiled.ForwardInto(output, x, c, labels));
        TestContext.Out.WriteLine($"managed bytes per evaluation: module {module}, compiled into a preallocated output {direct}");
        Assert.That(module, Is.GreaterThan(1000), "sanity: the module path does allocate, so the counter works here");
        Assert.That(direct, Is.EqualTo(0));
        using var expected = model.forward(x, sigma, labels);
        Assert.That((output - expected).abs().max().item<float>(), Is.LessThanOrEqualTo(1e-5f), "and it computed the forward");
    }

    [Test]
    public void ForwardIntoItsOwnInputEqualsAnOutOfPlaceForward()
    {
        using var net = RandomNet(UNetConfig.Small with { ClassCount = 2 }, seed: 7);
        Randomize(net, 7, scale: 0.05);
        using var model = new ConsistencyPrecond(net);
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(2.5, ScalarType.Float32, CPU);
        using var x = randn(2, 3, 16, 16).Times(2.5);
        using var labels = tensor(new long[] { 0, 1 });
        using var expected = compiled.Forward(x, c, labels);
        using var inPlace = x.clone();
        compiled.ForwardInto(inPlace, inPlace, c, labels);
        Assert.That((inPlace - expected).abs().max().item<float>(), Is.EqualTo(0f), "x is read before the output is written");
        Assert.That((expected - x).abs().max().item<float>(), Is.GreaterThan(0.01f), "sanity: the forward changed x");
    }

    [Test]
    public void BadArgumentsAndLibtorchErrorsAreClearAndLeaveTheDenoiserUsable()
    {
        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Small with { ClassCount = 3 }));
        var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(1.0, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 16, 16);
        using var labels = tensor(new long[] { 2 });
        using var wrongShape = empty(1, 3, 16, 8);
        using var wrongType = empty(new long[] { 1, 3, 16, 16 }, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => compiled.ForwardInto(wrongShape, x, c, labels));
        Assert.Throws<ArgumentException>(() => compiled.ForwardInto(wrongType, x, c, labels));
        using var outOfRange = tensor(new long[] { 7 });
        var e = Assert.Catch<System.Runtime.InteropServices.ExternalException>(() => compiled.Forward(x, c, outOfRange));
        TestContext.Out.WriteLine(e!.Message.Split('\n')[0]);
        Assert.That(e.Message, Does.Contain("index").IgnoreCase, "libtorch's own message comes through");
        using var fine = compiled.Forward(x, c, labels);
        Assert.That(fine.isfinite().all().item<bool>(), "the next call works");
        compiled.Dispose();
        Assert.Throws<ObjectDisposedException>(() => compiled.ForwardInto(fine, x, c, labels));
        compiled.Dispose(); // idempotent
    }

    [Test]
    public void TheDenoiserKeepsItsWeightsWhenTheModuleIsConvertedOrDisposed()
    {
        using var net = RandomNet(UNetConfig.Small with { ClassCount = 0 }, seed: 9);
        Randomize(net, 9, scale: 0.05);
        var model = new ConsistencyPrecond(net);
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 16, 16).Times(80);
        using var before = compiled.Forward(x, c, null);
        model.to(ScalarType.BFloat16);   // replaces the module's parameter tensors
        model.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var after = compiled.Forward(x, c, null);
        Assert.That((after - before).abs().max().item<float>(), Is.EqualTo(0f));
    }

    [Test]
    public void DisposingFreesEveryTensorTheDenoiserMade()
    {
        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Small with { ClassCount = 0 }));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long count = TorchSharp.torch.Tensor.TotalCount;
        var fp32 = new TorchScriptDenoiser(model);
        var bf16 = new TorchScriptDenoiser(model, ScalarType.BFloat16);
        Assert.That(TorchSharp.torch.Tensor.TotalCount, Is.GreaterThan(count));
        fp32.Dispose();
        bf16.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(TorchSharp.torch.Tensor.TotalCount, Is.EqualTo(count));
    }
}
