using ConsistencyModels.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Oracles;

/// <summary>The empirical-data oracle: hand value, limits, numerical stability.</summary>
public class EmpiricalDatasetTests
{
    [Test]
    public void TwoPointsGiveTanh()
    {
        // Points −1 and 1, x = 0.5, σ = 1: weights ∝ e^{−1.5²/2} = e^{−1.125} and e^{−0.5²/2} = e^{−0.125};
        // D = (e^{−0.125} − e^{−1.125})/(e^{−0.125} + e^{−1.125}) = tanh(½·(−0.125 + 1.125)) = tanh(0.5) = 0.46211716.
        using var pts = tensor(new[] { -1.0, 1.0 }, new long[] { 2, 1 }, ScalarType.Float64);
        using var data = new EmpiricalDataset(pts);
        using var x = tensor(new[] { 0.5 }, new long[] { 1, 1 }, ScalarType.Float64);
        using var d = data.Denoise(x, 1.0);
        Assert.That(d.item<double>(), Is.EqualTo(Math.Tanh(0.5)).Within(1e-15));
        Assert.That(d.item<double>(), Is.EqualTo(0.46211716).Within(1e-8));
    }

    [Test]
    public void LimitsAndStability()
    {
        using var pts = tensor(new[] { 0.0, 0.0, 1.0, 0.0, 0.0, 2.0 }, new long[] { 3, 2 }, ScalarType.Float64);
        using var data = new EmpiricalDataset(pts);
        // Far away with a tiny σ: exponents around −1e10, a naive softmax would give 0/0.
        using var far = tensor(new[] { 1000.0, 1.0 }, new long[] { 1, 2 }, ScalarType.Float64);
        using var dNear = data.Denoise(far, 0.01);
        Assert.That(dNear.isnan().any().item<bool>(), Is.False);
        Assert.That(dNear.data<double>().ToArray(), Is.EqualTo(new[] { 1.0, 0.0 }), "tiny σ picks the nearest point");
        using var dMean = data.Denoise(far, 1e6);
        Assert.That(dMean[0, 0].item<double>(), Is.EqualTo(1.0 / 3).Within(1e-3), "huge σ gives the mean");
        Assert.That(dMean[0, 1].item<double>(), Is.EqualTo(2.0 / 3).Within(1e-3));
        using var bad = zeros(2, 3, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => data.Denoise(bad, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Denoise(far, 0.0));
    }

    [Test]
    public void PerSampleSigmaMatchesScalarCalls()
    {
        using var pts = randn(new long[] { 20, 3 }, ScalarType.Float64, generator: new Generator(1));
        using var data = new EmpiricalDataset(pts);
        using var x = randn(new long[] { 2, 3 }, ScalarType.Float64, generator: new Generator(2));
        double[] sig = { 0.1, 2.0 };
        using var s = tensor(sig, ScalarType.Float64);
        using var b = data.Denoise(x, s);
        for (int i = 0; i < 2; i++)
        {
            using var one = data.Denoise(x[i].unsqueeze(0), sig[i]);
            Assert.That(b[i].unsqueeze(0).allclose(one, rtol: 1e-14, atol: 1e-14), Is.True);
        }
        using var bad = tensor(new[] { 1.0, 0.0 }, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => data.Denoise(x, bad));
    }
}
