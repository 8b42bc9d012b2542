using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static ConsistencyModels.Tests.Networks.NetworkTestHelpers;

namespace ConsistencyModels.Tests.Networks;

public class UNetTests
{
    private static readonly UNetConfig TinyStem = UNetConfig.Tiny with { PixelUnshuffleStem = true };

    [Test]
    public void GroupNormParametersAreOneAndZeroAfterConstruction()
    {
        using var net = new UNet(UNetConfig.Small with { AttentionLevels = [2] });
        int count = 0;
        foreach (var (name, m) in net.named_modules())
        {
            if (m is not GroupNorm gn) continue;
            count++;
            using var w = gn.weight.detach();
            using var b = gn.bias!.detach();
            Assert.That(w.data<float>().ToArray(), Is.All.EqualTo(1f), name);
            Assert.That(b.data<float>().ToArray(), Is.All.EqualTo(0f), name);
        }
        Assert.That(count, Is.GreaterThan(10));
    }

    [TestCase(8, 8)]
    [TestCase(16, 8)]
    [TestCase(6, 10)]
    public void OutputHasTheInputShape(int h, int w)
    {
        using var net = RandomNet(UNetConfig.Tiny);
        using var x = randn(2, 3, h, w);
        using var c = randn(2);
        using var y = net.forward(x, c, null);
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 3, h, w }));
        Assert.That(y.isfinite().all().item<bool>());
    }

    [TestCase(8, 12)]
    [TestCase(16, 4)]
    public void OutputHasTheInputShapeWithTheStem(int h, int w)
    {
        using var net = RandomNet(TinyStem);
        using var x = randn(1, 3, h, w);
        using var c = randn(1);
        using var y = net.forward(x, c, null);
        Assert.That(y.shape, Is.EqualTo(new long[] { 1, 3, h, w }));
    }

    [Test]
    public void DownsamplingFactorCountsLevelsAndStem()
    {
        Assert.That(UNetConfig.Tiny.DownsamplingFactor, Is.EqualTo(2));
        Assert.That(TinyStem.DownsamplingFactor, Is.EqualTo(4));
        Assert.That(UNetConfig.Small.DownsamplingFactor, Is.EqualTo(8));
        Assert.That((UNetConfig.Small with { PixelUnshuffleStem = false }).DownsamplingFactor, Is.EqualTo(4));
    }

    [TestCase(6, 8)]
    [TestCase(8, 10)]
    [TestCase(2, 8)]
    public void RejectsSizesNotDivisibleByTheDownsamplingFactor(int h, int w)
    {
        using var net = new UNet(TinyStem);
        using var x = randn(1, 3, h, w);
        using var c = randn(1);
        var ex = Assert.Throws<ArgumentException>(() => net.forward(x, c, null).Dispose());
        Assert.That(ex!.Message, Does.Contain("multiples of its downsampling factor 4"));
    }

    [Test]
    public void RejectsWrongChannelsAndNoiseShape()
    {
        using var net = new UNet(UNetConfig.Tiny);
        using var x4 = randn(1, 4, 8, 8);
        using var x = randn(2, 3, 8, 8);
        using var c1 = randn(1);
        using var c2 = randn(2);
        Assert.Throws<ArgumentException>(() => net.forward(x4, c1, null).Dispose());
        Assert.Throws<ArgumentException>(() => net.forward(x, c1, null).Dispose());
    }

    [Test]
    public void FreshNetworkOutputsZeroBecauseTheOutputConvolutionStartsAtZero()
    {
        manual_seed(3);
        using var net = new UNet(UNetConfig.Tiny);
        using var x = randn(1, 3, 8, 8);
        using var c = randn(1);
        using var y = net.forward(x, c, null);
        Assert.That(y.abs().max().item<float>(), Is.EqualTo(0f));
    }

    [TestCase(false, 2, 4)]
    [TestCase(true, 4, 8)]
    public void CircularPaddingMakesTheNetworkEquivariantToCircularShifts(bool stem, int dy, int dx)
    {
        using var net = RandomNet(UNetConfig.Tiny with { PixelUnshuffleStem = stem });
        using var x = randn(2, 3, 16, 16);
        using var c = tensor(new float[] { -0.5f, 0.7f });
        using var y = net.forward(x, c, null);
        using var xs = x.roll([dy, dx], [2, 3]);
        using var ys = net.forward(xs, c, null);
        using var expected = y.roll([dy, dx], [2, 3]);
        double err = (ys - expected).abs().max().item<float>();
        double scale = y.abs().max().item<float>();
        Assert.That(scale, Is.GreaterThan(1e-3), "the random network should produce a nonzero output");
        Assert.That(err, Is.LessThan(1e-4 * Math.Max(1, scale)));
    }

    [Test]
    public void ZeroPaddingIsNotShiftEquivariant()
    {
        // Control for the test above: it must be able to fail.
        using var net = RandomNet(UNetConfig.Tiny with { CircularPadding = false });
        using var x = randn(1, 3, 16, 16);
        using var c = tensor(new float[] { 0.1f });
        using var y = net.forward(x, c, null);
        using var xs = x.roll([2, 4], [2, 3]);
        using var ys = net.forward(xs, c, null);
        using var expected = y.roll([2, 4], [2, 3]);
        Assert.That((ys - expected).abs().max().item<float>(), Is.GreaterThan(1e-3f));
    }

    [Test]
    public void ClassConditioningChangesTheOutput()
    {
        using var net = RandomNet(UNetConfig.Tiny with { ClassCount = 3 });
        using var x = randn(1, 3, 8, 8);
        using var c = tensor(new float[] { 0.2f });
        using var l0 = tensor(new long[] { 0 });
        using var l2 = tensor(new long[] { 2 });
        using var y0 = net.forward(x, c, l0);
        using var y0b = net.forward(x, c, l0);
        using var y2 = net.forward(x, c, l2);
        Assert.That((y0 - y0b).abs().max().item<float>(), Is.EqualTo(0f));
        Assert.That((y0 - y2).abs().max().item<float>(), Is.GreaterThan(1e-3f));
    }

    [TestCase(NoiseEmbeddingKind.Positional)]
    [TestCase(NoiseEmbeddingKind.Fourier)]
    public void Bf16NetworkComputesTheNoiseEmbeddingInFloat32(NoiseEmbeddingKind kind)
    {
        using var net = RandomNet(UNetConfig.Tiny with { NoiseEmbedding = kind });
        var embedding = net.named_modules().Single(m => m.name == "map_noise").module;
        using var c = tensor(new float[] { 0.25f * MathF.Log(80f), -1.5f });
        using var exact = ((nn.Module<Tensor, Tensor>)embedding).forward(c);
        using var x = randn(2, 3, 8, 8);
        using var fp32 = net.forward(x, c, null);
        net.to(ScalarType.BFloat16);
        Assert.That(net.named_buffers().Single(b => b.name.EndsWith("freqs")).buffer.dtype, Is.EqualTo(ScalarType.Float32),
            "arguments reach ≈ 1000 rad: bf16 frequencies would be off by radians");
        Assert.That(net.parameters().All(p => p.dtype == ScalarType.BFloat16));
        using var after = ((nn.Module<Tensor, Tensor>)embedding).forward(c);
        Assert.That((after - exact).abs().max().item<float>(), Is.EqualTo(0f));
        // The network takes float32 input, computes in bf16 and returns bf16 close to the float32 result.
        using var bf16 = net.forward(x, c, null);
        Assert.That(bf16.dtype, Is.EqualTo(ScalarType.BFloat16));
        double err = (bf16.to(ScalarType.Float32) - fp32).abs().max().item<float>();
        double scale = fp32.abs().max().item<float>();
        TestContext.Out.WriteLine($"max |bf16 − fp32| = {err:E2} of max |F| = {scale:F2}");
        Assert.That(err, Is.LessThan(0.05 * scale));
        net.to(ScalarType.Float64);
        Assert.That(net.named_buffers().Single(b => b.name.EndsWith("freqs")).buffer.dtype, Is.EqualTo(ScalarType.Float64), "float64 is honoured");
    }

    [Test]
    public void NoiseLevelChangesTheOutput()
    {
        using var net = RandomNet(UNetConfig.Tiny with { NoiseEmbedding = NoiseEmbeddingKind.Fourier });
        using var x = randn(1, 3, 8, 8);
        using var c1 = tensor(new float[] { 0.2f });
        using var c2 = tensor(new float[] { -0.3f });
        using var y1 = net.forward(x, c1, null);
        using var y2 = net.forward(x, c2, null);
        Assert.That((y1 - y2).abs().max().item<float>(), Is.GreaterThan(1e-3f));
    }

    [Test]
    public void ClassLabelsAreCheckedAgainstTheConfiguration()
    {
        using var cond = new UNet(UNetConfig.Tiny with { ClassCount = 3 });
        using var uncond = new UNet(UNetConfig.Tiny);
        using var x = randn(1, 3, 8, 8);
        using var c = randn(1);
        using var bad = tensor(new long[] { 3 });
        using var ok = tensor(new long[] { 1 });
        Assert.That(Assert.Throws<ArgumentException>(() => cond.forward(x, c, null).Dispose())!.Message, Does.Contain("required"));
        Assert.That(Assert.Throws<ArgumentException>(() => cond.forward(x, c, bad).Dispose())!.Message, Does.Contain("[0, 2]"));
        Assert.Throws<ArgumentException>(() => uncond.forward(x, c, ok).Dispose());
    }

    [Test]
    public void BatchElementsAreIndependentInEvalMode()
    {
        using var net = RandomNet(UNetConfig.Tiny);
        using var x = randn(3, 3, 8, 8);
        using var c = tensor(new float[] { -1f, 0f, 1f });
        using var y = net.forward(x, c, null);
        using var y1 = net.forward(x[1..2], c[1..2], null);
        Assert.That((y[1..2] - y1).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void GradientsReachEveryParameter()
    {
        using var net = RandomNet(UNetConfig.Tiny with { ClassCount = 2, Dropout = 0.1 });
        net.train();
        using var x = randn(2, 3, 8, 8);
        using var c = randn(2);
        using var l = tensor(new long[] { 0, 1 });
        using var loss = net.forward(x, c, l).Square().mean();
        loss.backward();
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.That(p.grad, Is.Not.Null, name);
            Assert.That(p.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), name);
        }
    }
}
