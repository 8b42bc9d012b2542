using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Preconditioning;

public class PrecondTests
{
    private static UNet RandomNet(int classes = 0) =>
        NetworkTestHelpers.RandomNet(UNetConfig.Tiny with { ClassCount = classes }, seed: 7);

    /// <summary>D = c_skip·x + c_out·F(c_in·x; ¼ ln σ) with the coefficients worked out by hand in double.</summary>
    [Test]
    public void EdmPrecondMatchesTheFormulaComputedFromTheRawNetwork()
    {
        using var precond = new EdmPrecond(RandomNet());
        precond.eval();
        double[] sigmas = [0.01, 0.5, 7.0];
        using var x = randn(3, 3, 8, 8);
        using var sigma = tensor(sigmas, ScalarType.Float64);
        using var d = precond.forward(x, sigma, null);
        for (int i = 0; i < 3; i++)
        {
            double s = sigmas[i], sd = 0.5;
            double cSkip = sd * sd / (s * s + sd * sd), cOut = s * sd / Math.Sqrt(s * s + sd * sd);
            double cIn = 1 / Math.Sqrt(s * s + sd * sd), cNoise = Math.Log(s) / 4;
            using var xi = x[i..(i + 1)];
            using var f = precond.Net.forward(xi.Times(cIn), tensor(new[] { (float)cNoise }), null);
            using var expected = xi.Times(cSkip).Plus(f.Times(cOut));
            using var got = d[i..(i + 1)];
            Assert.That((got - expected).abs().max().item<float>(), Is.LessThan(1e-5f), $"sigma {s}");
            Assert.That(f.Times(cOut).abs().max().item<float>(), Is.GreaterThan(1e-3f), "F must contribute");
        }
    }

    [Test]
    public void ConsistencyPrecondMatchesTheFormulaComputedFromTheRawNetwork()
    {
        using var precond = new ConsistencyPrecond(RandomNet(classes: 2), epsilon: 0.002);
        precond.eval();
        double s = 3.0, sd = 0.5, eps = 0.002;
        using var x = randn(1, 3, 8, 8);
        using var labels = tensor(new long[] { 1 });
        using var d = precond.forward(x, tensor(new[] { s }), labels);
        double cSkip = sd * sd / ((s - eps) * (s - eps) + sd * sd), cOut = sd * (s - eps) / Math.Sqrt(s * s + sd * sd);
        double cIn = 1 / Math.Sqrt(s * s + sd * sd), cNoise = Math.Log(s) / 4;
        using var f = precond.Net.forward(x.Times(cIn), tensor(new[] { (float)cNoise }), labels);
        using var expected = x.Times(cSkip).Plus(f.Times(cOut));
        Assert.That((d - expected).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [TestCase(ScalarType.Float32)]
    [TestCase(ScalarType.Float64)]
    public void ConsistencyFunctionIsExactlyTheIdentityAtEpsilon(ScalarType sigmaType)
    {
        using var precond = new ConsistencyPrecond(RandomNet(), epsilon: 0.002);
        precond.eval();
        using var x = randn(2, 3, 8, 8).Times(3);
        using var sigma = ScalarArithmetic.Full([2], 0.002, sigmaType);
        using var f = precond.forward(x, sigma, null);
        Assert.That(f.data<float>().ToArray(), Is.EqualTo(x.data<float>().ToArray()));
        // Control: slightly above ε the network contributes.
        using var f2 = precond.forward(x, ScalarArithmetic.Full([2], 0.05, sigmaType), null);
        Assert.That((f2 - x).abs().max().item<float>(), Is.GreaterThan(1e-4f));
    }

    [Test]
    public void DenoiserUsesTheScalarSigmaAndFixedLabels()
    {
        using var precond = new EdmPrecond(RandomNet(classes: 3));
        precond.eval();
        using var x = randn(2, 3, 8, 8);
        using var one = tensor(new long[] { 2 });
        using var both = tensor(new long[] { 2, 2 });
        var denoiser = precond.AsDenoiser(one);
        using var viaDenoiser = denoiser(x, 1.5);
        using var direct = precond.forward(x, tensor(new[] { 1.5, 1.5 }), both);
        Assert.That(viaDenoiser.data<float>().ToArray(), Is.EqualTo(direct.data<float>().ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => denoiser(x, 0).Dispose());
    }

    [Test]
    public void ExposesTheNetworkAndSettings()
    {
        var net = RandomNet();
        using var precond = new ConsistencyPrecond(net, epsilon: 0.01, sigmaData: 0.4);
        Assert.That(precond.Net, Is.SameAs(net));
        Assert.That(precond.Epsilon, Is.EqualTo(0.01));
        Assert.That(precond.SigmaData, Is.EqualTo(0.4));
        Assert.That(precond.parameters().Count(), Is.EqualTo(net.parameters().Count()));
    }

    [Test]
    public void RejectsSigmaWithTheWrongCount()
    {
        using var precond = new EdmPrecond(RandomNet());
        using var x = randn(3, 3, 8, 8);
        using var sigma = tensor(new[] { 1.0, 2.0 });
        Assert.Throws<ArgumentException>(() => precond.forward(x, sigma, null).Dispose());
    }
}
