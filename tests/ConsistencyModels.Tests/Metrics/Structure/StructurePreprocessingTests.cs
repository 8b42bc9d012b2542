using ConsistencyModels.Metrics.Structure;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics.Structure;

public class StructurePreprocessingTests
{
    [Test]
    public void OutputIsOneGrayChannelDownsampledWithZeroMeanAndUnitVariancePerImage()
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new Generator(3);
        var x = torch.rand([4, 3, 16, 12], generator: gen);
        var y = StructurePreprocessing.Apply(x, 2);
        Assert.That(y.shape, Is.EqualTo(new long[] { 4, 1, 8, 6 }));
        var mean = y.mean([1, 2, 3]).data<float>().ToArray();
        var std = y.std([1, 2, 3], unbiased: false).data<float>().ToArray();
        Assert.That(mean, Has.All.EqualTo(0).Within(1e-5));
        Assert.That(std, Has.All.EqualTo(1).Within(1e-4));
    }

    [Test]
    public void ColourBrightnessAndContrastOfAPatternCannotChangeWhatTheClassifierSees()
    {
        // The same gray pattern p painted as colour_c · p + offset_c per channel (any positive luma gain): identical input.
        using var scope = torch.NewDisposeScope();
        using var gen = new Generator(4);
        var p = torch.rand([2, 1, 8, 8], generator: gen);
        using var s9 = 0.9.ToScalar();
        using var s1 = 0.1.ToScalar();
        using var s2 = 0.2.ToScalar();
        using var one = 1.0.ToScalar();
        var a = torch.cat([p.mul(s9), p.mul(s1), p.mul(s2)], 1);
        var redLowContrast = torch.tensor(new float[] { 0.3f, 0.05f, 0.02f }, new long[] { 1, 3, 1, 1 });
        var offset = torch.tensor(new float[] { -0.8f, 0.4f, 0.1f }, new long[] { 1, 3, 1, 1 });
        var b = p.mul(redLowContrast).add(offset, one);
        var ya = StructurePreprocessing.Apply(a, 1);
        var yb = StructurePreprocessing.Apply(b, 1);
        Assert.That(ya.allclose(yb, 0, 1e-4), Is.True);
        // A different arrangement of the same values is a different input (the test can fail).
        var shuffled = StructurePreprocessing.Apply(a.flip(3), 1);
        Assert.That(shuffled.allclose(ya, 0, 1e-2), Is.False);
    }

    [Test]
    public void GrayUsesLumaWeightsAndDownsamplingAveragesAConstantImageIsZero()
    {
        using var scope = torch.NewDisposeScope();
        // Left half pure green, right half pure blue: luma 0.587 vs 0.114, so the left half standardizes to +1.
        var x = torch.zeros(1, 3, 4, 4);
        x[0, 1, .., ..2] = torch.ones(4, 2);
        x[0, 2, .., 2..] = torch.ones(4, 2);
        var y = StructurePreprocessing.Apply(x, 1);
        Assert.That(y[0, 0, 0, 0].item<float>(), Is.EqualTo(1).Within(1e-5));
        Assert.That(y[0, 0, 0, 3].item<float>(), Is.EqualTo(-1).Within(1e-5));
        // A 2×2 checkerboard averages to a constant at factor 2: the output is all zeros, not NaN.
        var checker = torch.tensor(new float[] { 1, -1, -1, 1 }, new long[] { 1, 1, 2, 2 }).repeat(1, 3, 2, 2);
        var z = StructurePreprocessing.Apply(checker, 2);
        Assert.That(z.abs().max().item<float>(), Is.EqualTo(0).Within(1e-6));
        Assert.Throws<ArgumentException>(() => StructurePreprocessing.Apply(torch.zeros(1, 3, 5, 4), 2));
    }

    [Test]
    public void PhaseRandomizationKeepsThePowerSpectrumAndDestroysTheShapes()
    {
        using var scope = torch.NewDisposeScope();
        // Vertical stripes: all power in one horizontal frequency; any phase change keeps it there but moves the edges.
        var stripes = torch.tensor(Enumerable.Range(0, 16 * 16).Select(i => (i % 16) / 4 % 2 == 0 ? 1f : -1f).ToArray(), new long[] { 1, 1, 16, 16 });
        using var gen = new Generator(8);
        var x = StructurePreprocessing.Apply(torch.rand([3, 3, 32, 32], generator: gen), 2);
        var y = StructurePreprocessing.PhaseRandomized(x, gen);
        Assert.That(y.shape, Is.EqualTo(x.shape));
        Assert.That(y.mean([1, 2, 3]).abs().max().item<float>(), Is.LessThan(1e-5));
        var px = torch.fft.fft2(x).abs();
        var py = torch.fft.fft2(y).abs();
        Assert.That(py.allclose(px, 1e-3, 1e-3), Is.True, "same amplitude spectrum");
        Assert.That(y.allclose(x, 0, 0.1), Is.False, "different image");
        var s = StructurePreprocessing.PhaseRandomized(stripes, gen);
        Assert.That(torch.fft.fft2(s).abs().allclose(torch.fft.fft2(stripes).abs(), 1e-3, 1e-3), Is.True);
    }
}
