using ConsistencyModels.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Oracles;

/// <summary>The GMM oracle's denoiser against Tweedie's formula on an independently coded density, and hand values.</summary>
public class GaussianMixtureTests
{
    [Test]
    public void SingleComponentMatchesHandValue()
    {
        // μ = 1, s = 0.5, σ = 1, x = 3: D = μ + s²/(s²+σ²)·(x−μ) = 1 + 0.25/1.25·2 = 1.4.
        var g = new GaussianMixture(new[] { 1.0 }, new double[,] { { 1.0 } }, new[] { 0.5 });
        using var x = tensor(new[] { 3.0 }, new long[] { 1, 1 }, ScalarType.Float64);
        using var d = g.Denoise(x, 1.0);
        Assert.That(d.item<double>(), Is.EqualTo(1.4).Within(1e-15));
        using var d0 = g.Denoise(x, 0.0);
        Assert.That(d0.item<double>(), Is.EqualTo(3.0), "D(x; 0) = x");
    }

    /// <summary>Tweedie: E[x₀|x] = x + σ²·∇ log p_σ(x), with log p_σ coded separately here and differentiated numerically.</summary>
    [Test]
    public void DenoiserMatchesTweedieOnAnIndependentDensity()
    {
        double[] w = { 0.5, 0.3, 0.2 };
        double[,] mu = { { -1.0, 0.5 }, { 1.0, 1.0 }, { 0.3, -1.0 } };
        double[,] sd = { { 0.3, 0.5 }, { 0.4, 0.2 }, { 0.25, 0.35 } };
        var g = TestMixtures.TwoD();
        double LogP(double[] x, double sigma)
        {
            double p = 0;
            for (int k = 0; k < 3; k++)
            {
                double q = w[k];
                for (int d = 0; d < 2; d++)
                {
                    double v = sd[k, d] * sd[k, d] + sigma * sigma;
                    q *= Math.Exp(-(x[d] - mu[k, d]) * (x[d] - mu[k, d]) / (2 * v)) / Math.Sqrt(2 * Math.PI * v);
                }
                p += q;
            }
            return Math.Log(p);
        }
        var rng = new Random(3);
        foreach (double sigma in new[] { 0.1, 0.5, 2.0 })
            for (int trial = 0; trial < 5; trial++)
            {
                double[] x = { rng.NextDouble() * 3 - 1.5, rng.NextDouble() * 3 - 1.5 };
                using var xt = tensor(x, new long[] { 1, 2 }, ScalarType.Float64);
                using var dt = g.Denoise(xt, sigma);
                var dv = dt.data<double>().ToArray();
                for (int d = 0; d < 2; d++)
                {
                    const double h = 1e-5;
                    var xp = (double[])x.Clone(); xp[d] += h;
                    var xm = (double[])x.Clone(); xm[d] -= h;
                    double grad = (LogP(xp, sigma) - LogP(xm, sigma)) / (2 * h);
                    Assert.That(dv[d], Is.EqualTo(x[d] + sigma * sigma * grad).Within(1e-6), $"σ = {sigma}, x = ({x[0]}, {x[1]}), dim {d}");
                }
            }
    }

    [Test]
    public void PerSampleSigmaAndDtypesAgreeWithScalarCall()
    {
        var g = TestMixtures.FourD();
        using var x = randn(new long[] { 3, 4 }, ScalarType.Float64, generator: new Generator(1));
        double[] sig = { 0.1, 1.0, 7.0 };
        using var s = tensor(sig, ScalarType.Float64);
        using var batch = g.Denoise(x, s);
        for (int i = 0; i < 3; i++)
        {
            using var one = g.Denoise(x[i].unsqueeze(0), sig[i]);
            Assert.That(batch[i].unsqueeze(0).allclose(one, rtol: 0, atol: 1e-15), Is.True);
        }
        using var x32 = x.to(ScalarType.Float32);
        using var d32 = g.Denoise(x32, 1.0);
        Assert.That(d32.dtype, Is.EqualTo(ScalarType.Float32));
        using var img = x.view(3, 1, 2, 2);
        using var dimg = g.Denoise(img, 1.0);
        Assert.That(dimg.shape, Is.EqualTo(new long[] { 3, 1, 2, 2 }));
    }

    [Test]
    public void SamplesHaveTheAnalyticMoments()
    {
        var g = TestMixtures.TwoD();
        const int n = 40_000;
        using var s = g.Sample(n, new Generator(9));
        var m = g.Mean();
        var c = g.Covariance();
        using var mean = s.mean(new long[] { 0 });
        using var cov = s.T.cov();
        for (int i = 0; i < 2; i++)
        {
            Assert.That(mean[i].item<double>(), Is.EqualTo(m[i]).Within(5 * Math.Sqrt(c[i, i] / n)));
            for (int j = 0; j < 2; j++)
                Assert.That(cov[i, j].item<double>(), Is.EqualTo(c[i, j]).Within(5 * Math.Sqrt((c[i, i] * c[j, j] + c[i, j] * c[i, j]) / n) * 1.5));
        }
    }

    [Test]
    public void BadArgumentsThrow()
    {
        var g = TestMixtures.TwoD();
        using var x = zeros(5, 3, ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => g.Denoise(x, 1.0));
        Assert.That(ex!.Message, Does.Contain("D = 2"));
        using var x2 = zeros(5, 2, ScalarType.Float64);
        using var s = ones(4, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => g.Denoise(x2, s));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Denoise(x2, -1.0));
        Assert.Throws<ArgumentException>(() => new GaussianMixture(new[] { 1.0 }, new double[,] { { 0, 0 } }, new[] { 0.0 }));
        Assert.Throws<ArgumentException>(() => new GaussianMixture(new[] { 1.0, 1.0 }, new double[,] { { 0, 0 } }, new[] { 1.0 }));
    }
}
