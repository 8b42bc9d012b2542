using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Preconditioning;

/// <summary>EDM and consistency coefficients against values worked out by hand (σd = 0.5, ε = 0.002).</summary>
public class CoefficientTests
{
    private const double Eps = 0.002;

    // EDM, σd² = 0.25:
    // σ = 0.5: σ²+σd² = 0.5, √0.5 = 0.70710678; c_skip = 0.25/0.5 = 0.5; c_out = 0.5·0.5/0.70710678 = 0.35355339;
    //          c_in = 1/0.70710678 = 1.41421356; c_noise = ¼·ln 0.5 = −0.17328680; λ = 0.5/(0.25·0.25) = 8.
    // σ = 1:   σ²+σd² = 1.25, √1.25 = 1.11803399; c_skip = 0.25/1.25 = 0.2; c_out = 0.5/1.11803399 = 0.44721360;
    //          c_in = 0.89442719; c_noise = 0; λ = 1.25/0.25 = 5.
    // σ = 2:   σ²+σd² = 4.25, √4.25 = 2.06155281; c_skip = 0.25/4.25 = 1/17 = 0.05882353; c_out = 1/2.06155281 = 0.48507125;
    //          c_in = 0.48507125; c_noise = ¼·ln 2 = 0.17328680; λ = 4.25/(2·0.5)² = 4.25.
    [TestCase(0.5, 0.5, 0.35355339, 1.41421356, -0.17328680, 8.0)]
    [TestCase(1.0, 0.2, 0.44721360, 0.89442719, 0.0, 5.0)]
    [TestCase(2.0, 0.05882353, 0.48507125, 0.48507125, 0.17328680, 4.25)]
    public void EdmCoefficientsMatchHandValues(double sigma, double cSkip, double cOut, double cIn, double cNoise, double lambda)
    {
        Assert.Multiple(() =>
        {
            Assert.That(EdmCoefficients.CSkip(sigma), Is.EqualTo(cSkip).Within(1e-8));
            Assert.That(EdmCoefficients.COut(sigma), Is.EqualTo(cOut).Within(1e-8));
            Assert.That(EdmCoefficients.CIn(sigma), Is.EqualTo(cIn).Within(1e-8));
            Assert.That(EdmCoefficients.CNoise(sigma), Is.EqualTo(cNoise).Within(1e-8));
            Assert.That(EdmCoefficients.LossWeight(sigma), Is.EqualTo(lambda).Within(1e-8));
        });
        using var s = tensor(new[] { sigma }, ScalarType.Float64);
        Assert.Multiple(() =>
        {
            Assert.That(EdmCoefficients.CSkip(s).item<double>(), Is.EqualTo(cSkip).Within(1e-8));
            Assert.That(EdmCoefficients.COut(s).item<double>(), Is.EqualTo(cOut).Within(1e-8));
            Assert.That(EdmCoefficients.CIn(s).item<double>(), Is.EqualTo(cIn).Within(1e-8));
            Assert.That(EdmCoefficients.CNoise(s).item<double>(), Is.EqualTo(cNoise).Within(1e-8));
            Assert.That(EdmCoefficients.LossWeight(s).item<double>(), Is.EqualTo(lambda).Within(1e-8));
        });
    }

    // Consistency, ε = 0.002:
    // σ = 0.5: σ−ε = 0.498, (σ−ε)² = 0.248004; c_skip = 0.25/(0.248004+0.25) = 0.25/0.498004 = 0.50200400;
    //          c_out = 0.5·0.498/√(0.25+0.25) = 0.249/0.70710678 = 0.35213918.
    // σ = 1:   σ−ε = 0.998, (σ−ε)² = 0.996004; c_skip = 0.25/1.246004 = 0.20064141;
    //          c_out = 0.5·0.998/1.11803399 = 0.499/1.11803399 = 0.44631917.
    // σ = 2:   σ−ε = 1.998, (σ−ε)² = 3.992004; c_skip = 0.25/4.242004 = 0.05893441;
    //          c_out = 0.5·1.998/2.06155281 = 0.999/2.06155281 = 0.48458618.
    [TestCase(0.5, 0.50200400, 0.35213918)]
    [TestCase(1.0, 0.20064141, 0.44631917)]
    [TestCase(2.0, 0.05893441, 0.48458618)]
    public void ConsistencyCoefficientsMatchHandValues(double sigma, double cSkip, double cOut)
    {
        Assert.That(ConsistencyCoefficients.CSkip(sigma, Eps), Is.EqualTo(cSkip).Within(1e-8));
        Assert.That(ConsistencyCoefficients.COut(sigma, Eps), Is.EqualTo(cOut).Within(1e-8));
        using var s = tensor(new[] { sigma }, ScalarType.Float64);
        Assert.That(ConsistencyCoefficients.CSkip(s, Eps).item<double>(), Is.EqualTo(cSkip).Within(1e-8));
        Assert.That(ConsistencyCoefficients.COut(s, Eps).item<double>(), Is.EqualTo(cOut).Within(1e-8));
    }

    [Test]
    public void ConsistencyFunctionIsExactlyTheIdentityAtEpsilon()
    {
        Assert.That(ConsistencyCoefficients.CSkip(Eps, Eps), Is.EqualTo(1.0));
        Assert.That(ConsistencyCoefficients.COut(Eps, Eps), Is.EqualTo(0.0));
        // f(x, ε) = c_skip·x + c_out·F for an arbitrary (here wild) network output F: must equal x bit for bit.
        var gen = new Generator(7);
        using var x = randn(new long[] { 4, 3, 5, 5 }, ScalarType.Float64, generator: gen);
        using var f = randn(new long[] { 4, 3, 5, 5 }, ScalarType.Float64, generator: gen).Times(1e6);
        using var sigma = ScalarArithmetic.Full([4], Eps, ScalarType.Float64);
        using var cs = ConsistencyCoefficients.CSkip(sigma, Eps).view(-1, 1, 1, 1);
        using var co = ConsistencyCoefficients.COut(sigma, Eps).view(-1, 1, 1, 1);
        using var y = (cs * x).Plus(co * f);
        Assert.That((y == x).all().item<bool>(), Is.True, "f(x, ε) must be x exactly");
    }

    [Test]
    public void BadSigmaThrows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EdmCoefficients.CSkip(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => EdmCoefficients.CNoise(0));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyCoefficients.CSkip(0.001, Eps));
        Assert.That(ex!.Message, Does.Contain(">= 0.002"));
    }
}
