using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static ConsistencyModels.Tests.Networks.NetworkTestHelpers;

namespace ConsistencyModels.Tests.Networks;

/// <summary>
/// <see cref="ConvolutionCompute"/> changes rounding only: the same network under each mode computes the same
/// function (channels-last: to float32 rounding; bf16 autocast: to bfloat16's 8-bit mantissa), with gradients that
/// reach the float32 weights and point the same way.
/// </summary>
public class ConvolutionComputeTests
{
    private static readonly UNetConfig Config = UNetConfig.Tiny with { PixelUnshuffleStem = true, ClassCount = 3 };

    private static (Tensor Output, Tensor Gradient) Run(ConvolutionCompute compute, bool circular = true)
    {
        using var net = RandomNet(Config with { CircularPadding = circular });
        net.train();
        net.Compute = compute;
        manual_seed(7);
        using var x = randn(2, 3, 16, 12);
        using var c = randn(2);
        using var labels = tensor(new long[] { 0, 2 });
        var y = net.forward(x, c, labels);
        using var loss = (y * y).mean();
        loss.backward();
        var conv = net.named_parameters().First(p => p.name.EndsWith("conv0.weight")).parameter;
        Assert.That(conv.dtype, Is.EqualTo(ScalarType.Float32), "the weights stay float32");
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float32), "the output is float32");
        return (y.detach(), conv.grad!.detach().clone());
    }

    private static double MaxRelative(Tensor a, Tensor b)
    {
        using var diff = (a - b).abs().max();
        using var scale = b.abs().max();
        return diff.item<float>() / scale.item<float>();
    }

    private static double Cosine(Tensor a, Tensor b)
    {
        using var fa = a.flatten();
        using var fb = b.flatten();
        using var dot = (fa * fb).sum();
        using var na = fa.norm();
        using var nb = fb.norm();
        return dot.item<float>() / (na.item<float>() * nb.item<float>());
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ChannelsLastComputesTheSameFunction(bool circular)
    {
        var (y0, g0) = Run(ConvolutionCompute.Float32, circular);
        var (y1, g1) = Run(ConvolutionCompute.ChannelsLast, circular);
        Assert.That(MaxRelative(y1, y0), Is.LessThan(1e-5));
        Assert.That(MaxRelative(g1, g0), Is.LessThan(1e-4));
    }

    [Test]
    public void CircularAndZeroPaddingDiffer()
    {
        // The channels-last test compares the functional path (explicit circular pad) with the module's; it only means
        // something if the padding mode changes the output at this size.
        var (y0, _) = Run(ConvolutionCompute.Float32, circular: true);
        var (yZero, _) = Run(ConvolutionCompute.Float32, circular: false);
        Assert.That(MaxRelative(yZero, y0), Is.GreaterThan(1e-3), "zero and circular padding must differ, or the test sees nothing");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Bfloat16AutocastIsTheSameFunctionToBfloat16Precision(bool channelsLast)
    {
        var (y0, g0) = Run(ConvolutionCompute.Float32);
        var (y1, g1) = Run(channelsLast ? ConvolutionCompute.Bfloat16ChannelsLast : ConvolutionCompute.Bfloat16);
        double rel = MaxRelative(y1, y0);
        Assert.That(rel, Is.LessThan(0.05), "bf16 keeps about 2-3 significant digits");
        Assert.That(rel, Is.GreaterThan(1e-6), "bf16 must actually round (else the mode did nothing)");
        Assert.That(Cosine(g1, g0), Is.GreaterThan(0.99), "gradients reach the float32 weights and point the same way");
    }

    [Test]
    public void NamesRoundTrip()
    {
        Assert.That(ConsistencyModels.Naming.EnumNames.All<ConvolutionCompute>(), Is.EqualTo(new[] { "fp32", "fp32-cl", "bf16", "bf16-cl" }));
        foreach (string name in ConsistencyModels.Naming.EnumNames.All<ConvolutionCompute>())
            Assert.That(ConsistencyModels.Naming.EnumNames.Of(ConsistencyModels.Naming.EnumNames.Parse<ConvolutionCompute>(name)), Is.EqualTo(name));
        Assert.Throws<ArgumentException>(() => ConsistencyModels.Naming.EnumNames.Parse<ConvolutionCompute>("fp16"));
    }
}
