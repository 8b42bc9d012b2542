using ConsistencyModels.Platform;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Solvers;

/// <summary>
/// Multistep consistency sampling with the exact consistency function of a Gaussian N(μ, s²):
/// f(x, σ) = μ + (x − μ)·√(s² + ε²)/√(s² + σ²) (the PF-ODE flow from σ to ε). Every step must then give
/// samples with mean μ and variance s² + ε².
/// </summary>
public class ConsistencySamplerTests
{
    private const double Mu = 0.4, S = 0.3, Eps = 0.002;

    private static Tensor F(Tensor x, double sigma) => x.Minus(Mu).Times(Math.Sqrt(S * S + Eps * Eps) / Math.Sqrt(S * S + sigma * sigma)).Plus(Mu);

    [TestCase(new double[0])]
    [TestCase(new[] { 0.8 })]
    [TestCase(new[] { 5.0, 0.8, 0.1 })]
    public void SamplesHaveTheExactMoments(double[] taus)
    {
        const int n = 20_000;
        using var xT = randn(new long[] { n, 1 }, ScalarType.Float64, generator: new Generator(3)).Times(80.0);
        using var x = ConsistencySampler.Sample(F, xT, taus, 80.0, Eps, new Generator(4));
        double mean = x.mean().item<double>(), var = x.var().item<double>();
        double v = S * S + Eps * Eps;
        // Standard errors: mean √(v/n) = 0.0021, variance v·√(2/n) = 0.0009.
        Assert.That(mean, Is.EqualTo(Mu).Within(5 * Math.Sqrt(v / n)));
        Assert.That(var, Is.EqualTo(v).Within(5 * v * Math.Sqrt(2.0 / n)));
    }

    [Test]
    public void StepAddsTheRightNoiseAndIsSeeded()
    {
        // With f = identity, one step returns x + √(τ² − ε²)·z: its spread measures the noise scale.
        using var x = zeros(50_000, 1, ScalarType.Float64);
        using var y = ConsistencySampler.Step((a, _) => a.clone(), x, 2.0, Eps, new Generator(6));
        Assert.That(y.std().item<double>(), Is.EqualTo(Math.Sqrt(4 - Eps * Eps)).Within(0.03));
        using var y2 = ConsistencySampler.Step((a, _) => a.clone(), x, 2.0, Eps, new Generator(6));
        Assert.That((y == y2).all().item<bool>(), Is.True, "same generator seed, same samples");
    }
}
