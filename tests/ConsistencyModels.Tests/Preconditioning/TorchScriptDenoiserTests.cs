using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;
using static ConsistencyModels.Tests.Networks.NetworkTestHelpers;

namespace ConsistencyModels.Tests.Preconditioning;

public class TorchScriptDenoiserTests
{
    private static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 5 }, 16).SetName("Small: stem, circular, classes");
        yield return new TestCaseData(UNetConfig.Tiny with { AttentionLevels = [], CircularPadding = false }, 8).SetName("Tiny: no stem, zero padding, unconditional");
        yield return new TestCaseData(UNetConfig.Tiny with { AttentionLevels = [], ResBlocksPerLevel = 2, NoiseEmbedding = NoiseEmbeddingKind.Fourier, ClassCount = 3 }, 12)
            .SetName("Tiny: two blocks per level, Fourier embedding");
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
        using var x = randn(2, 3, size, size) * 5;
        using var labels = config.ClassCount > 0 ? tensor(new long[] { 0, config.ClassCount - 1 }) : null;
        using var _ = no_grad();
        foreach (double sigma in new[] { 80.0, 2.5, 0.002 })
        {
            using var c = model.CoefficientsAt(sigma, ScalarType.Float32, CPU);
            using var sigmaTensor = full(1, sigma, ScalarType.Float64);
            using var expected = model.forward(x, sigmaTensor, labels);
            using var actual = compiled.Forward(x, c, labels);
            double err = (actual - expected).abs().max().item<float>();
            double scale = expected.abs().max().item<float>();
            TestContext.Out.WriteLine($"σ = {sigma}: max |compiled − module| = {err:E2} (max |D| = {scale:F2})");
            Assert.That(actual.shape, Is.EqualTo(expected.shape));
            Assert.That(err, Is.LessThanOrEqualTo(1e-5 * Math.Max(1, scale)), $"σ = {sigma}");
        }
        // The same weights tensors are read: changing the module changes the compiled result.
        using (no_grad()) net.parameters().Last().add_(1.0);
        using var c80 = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var s80 = full(1, 80.0, ScalarType.Float64);
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
        using var x = randn(1, 3, 16, 16) * 80;
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
    public void AttentionIsNotSupportedAndLabelsMustMatchTheNetwork()
    {
        Assert.That(TorchScriptDenoiser.Supports(UNetConfig.Tiny), Is.False, "Tiny has attention at level 1");
        using var withAttention = new ConsistencyPrecond(new UNet(UNetConfig.Tiny));
        Assert.Throws<NotSupportedException>(() => new TorchScriptDenoiser(withAttention));

        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Tiny with { AttentionLevels = [], ClassCount = 2 }));
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(1.0, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 8, 8);
        Assert.Throws<ArgumentException>(() => compiled.Forward(x, c, null));
        Assert.That(compiled.Source, Does.Contain("def denoise("));
    }

    [Test]
    public void ACompiledEvaluationAllocatesAboutOneCallNotOneTensorPerOp()
    {
        using var model = new ConsistencyPrecond(RandomNet(UNetConfig.Small with { ClassCount = 4 }));
        using var compiled = new TorchScriptDenoiser(model);
        using var c = model.CoefficientsAt(80, ScalarType.Float32, CPU);
        using var x = randn(1, 3, 16, 16);
        using var labels = tensor(new long[] { 1 });
        using var sigma = full(1, 80.0, ScalarType.Float64);
        using var _ = no_grad();
        long Bytes(Action frame)
        {
            for (int i = 0; i < 3; i++) frame();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) frame();
            return (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        }
        long module = Bytes(() => model.forward(x, sigma, labels).Dispose());
        long script = Bytes(() => compiled.Forward(x, c, labels).Dispose());
        TestContext.Out.WriteLine($"managed bytes per evaluation: module {module}, compiled {script}");
        Assert.That(script, Is.LessThan(module / 10));
    }
}
