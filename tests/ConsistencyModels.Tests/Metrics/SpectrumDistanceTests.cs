using ConsistencyModels.Metrics;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConsistencyModels.Tests.Metrics;

public class SpectrumDistanceTests
{
    [Test]
    public void IdenticalSetsHaveDistanceZero()
    {
        using var x = MetricTestData.Crops("grass.png", 8, 1);
        Assert.That(SpectrumDistance.Compute(x, x), Is.EqualTo(0.0));
    }

    [Test]
    public void WhiteNoiseSpectrumIsFlatAtItsVariance()
    {
        // For i.i.d. N(0, s²) pixels, E|FFT|²/(HW) = s² at every non-zero frequency (Parseval).
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(4);
        var noise = torch.randn(new long[] { 64, 3, 32, 32 }, generator: g).Times(0.5);
        var s = SpectrumDistance.RadialLogSpectrum(noise).data<double>().ToArray();
        Assert.That(s, Has.Length.EqualTo(17));
        for (int r = 1; r < s.Length; r++)
            Assert.That(s[r], Is.EqualTo(Math.Log10(0.25)).Within(0.05), $"radius {r}");
    }

    [Test]
    public void BlurredImagesAreFartherThanAnotherSampleOfTheSameTexture()
    {
        using var scope = torch.NewDisposeScope();
        var a = MetricTestData.Crops("grass.png", 16, 1);
        var b = MetricTestData.Crops("grass.png", 16, 2);
        var kernel = ScalarArithmetic.Full([3, 1, 3, 3], 1.0f / 9, ScalarType.Float32);
        var blurred = F.conv2d(F.pad(a, [1, 1, 1, 1], PaddingModes.Circular), kernel, groups: 3);
        double same = SpectrumDistance.Compute(a, b);
        double blur = SpectrumDistance.Compute(a, blurred);
        TestContext.Out.WriteLine($"same texture {same:F3}, blurred {blur:F3}");
        Assert.That(blur, Is.GreaterThan(3 * same));
    }
}
