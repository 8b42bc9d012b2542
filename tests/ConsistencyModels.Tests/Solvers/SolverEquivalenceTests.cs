using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Tests.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Solvers;

/// <summary>Identities between solvers, NFE accounting, per-sample overloads and argument checks.</summary>
public class SolverEquivalenceTests
{
    private static readonly GaussianMixture Gmm = TestMixtures.FourD();

    private static Tensor Start(int b = 16) => randn(new long[] { b, 4 }, ScalarType.Float64, generator: new Generator(31)).Times(80.0);

    [Test]
    public void StochasticWithoutChurnIsExactlyHeun()
    {
        var sigmas = KarrasSchedule.Sigmas(12);
        using var xT = Start();
        using var heun = HeunSolver.Sample(Gmm.AsDenoiser(), xT, sigmas);
        using var stoch = EdmStochasticSampler.Sample(Gmm.AsDenoiser(), xT, sigmas, sChurn: 0, generator: new Generator(1));
        Assert.That((heun == stoch).all().item<bool>(), Is.True, "bit-for-bit");
        using var churned = EdmStochasticSampler.Sample(Gmm.AsDenoiser(), xT, sigmas, sChurn: 40, generator: new Generator(1));
        Assert.That((heun == churned).all().item<bool>(), Is.False, "churn must change the result (the test can fail)");
    }

    [Test]
    public void GammaFollowsEdmAlgorithm2()
    {
        // S_churn/N = 10/40 = 0.25 < √2 − 1; 80/40 = 2 is capped at √2 − 1 = 0.41421; outside [S_tmin, S_tmax] it is 0.
        Assert.That(EdmStochasticSampler.Gamma(1.0, 40, 10, 0.05, 50), Is.EqualTo(0.25));
        Assert.That(EdmStochasticSampler.Gamma(1.0, 40, 80, 0.05, 50), Is.EqualTo(Math.Sqrt(2) - 1));
        Assert.That(EdmStochasticSampler.Gamma(60.0, 40, 80, 0.05, 50), Is.EqualTo(0.0));
        Assert.That(EdmStochasticSampler.Gamma(0.01, 40, 80, 0.05, 50), Is.EqualTo(0.0));
    }

    [Test]
    public void DdimEqualsEuler()
    {
        var sigmas = KarrasSchedule.Sigmas(10);
        using var xT = Start();
        using var euler = EulerSolver.Sample(Gmm.AsDenoiser(), xT, sigmas);
        using var ddim = DdimSolver.Sample(Gmm.AsDenoiser(), xT, sigmas);
        double diff = (euler - ddim).abs().max().item<double>();
        TestContext.Out.WriteLine($"max |DDIM − Euler| = {diff:E2}");
        Assert.That(diff, Is.LessThan(1e-12));
    }

    [Test]
    public void DpmSolverFinalStepReturnsTheDenoisedValue()
    {
        using var x = Start(4);
        using var d = Gmm.Denoise(x, 0.3);
        using var prev = Gmm.Denoise(x, 0.5);
        using var y = DpmSolverPlusPlus2M.Update(x, d, prev, 0.5, 0.3, 0.0);
        Assert.That((y == d).all().item<bool>(), Is.True);
        // First-order step (no history) σ → σ': x' = (σ'/σ)·x + (1 − σ'/σ)·D, hand-derived from −expm1(−h) = 1 − σ'/σ.
        using var y1 = DpmSolverPlusPlus2M.Update(x, d, null, double.NaN, 0.3, 0.1);
        using var expected = x.Times(0.1 / 0.3).Plus(d.Times(1 - 0.1 / 0.3));
        Assert.That(y1.allclose(expected, rtol: 1e-14, atol: 1e-14), Is.True);
    }

    [Test]
    public void NfeForMatchesCountedEvaluations()
    {
        var sigmas = KarrasSchedule.Sigmas(18);
        int calls = 0;
        Denoiser counting = (x, s) => { calls++; return Gmm.Denoise(x, s); };
        using var xT = Start(2);
        void Check(string name, Func<Tensor> run, int expected)
        {
            calls = 0;
            using var _ = run();
            Assert.That(calls, Is.EqualTo(expected), name);
        }
        Check("Euler", () => EulerSolver.Sample(counting, xT, sigmas), EulerSolver.NfeFor(sigmas));
        Check("Heun", () => HeunSolver.Sample(counting, xT, sigmas), HeunSolver.NfeFor(sigmas));
        Check("DDIM", () => DdimSolver.Sample(counting, xT, sigmas), DdimSolver.NfeFor(sigmas));
        Check("DPM++", () => DpmSolverPlusPlus2M.Sample(counting, xT, sigmas), DpmSolverPlusPlus2M.NfeFor(sigmas));
        Check("EDM", () => EdmStochasticSampler.Sample(counting, xT, sigmas, sChurn: 30), EdmStochasticSampler.NfeFor(sigmas));
        var taus = new[] { 2.0, 0.5 };
        Check("CM", () => ConsistencySampler.Sample(counting, xT, taus), ConsistencySampler.NfeFor(taus));
        Assert.That(HeunSolver.NfeFor(sigmas), Is.EqualTo(2 * 18 - 1));
        Assert.That(EulerSolver.NfeFor(sigmas), Is.EqualTo(18));
        Assert.That(ConsistencySampler.NfeFor(taus), Is.EqualTo(3));
    }

    [Test]
    public void PerSampleStepsMatchEachRowsOwnOneStepGrid()
    {
        using var x = randn(new long[] { 3, 1, 2, 2 }, ScalarType.Float64, generator: new Generator(8)).Times(3);
        double[] s = { 5.0, 1.0, 0.2 }, sn = { 3.0, 0.5, 0.0 };
        using var st = tensor(s, ScalarType.Float64);
        using var snt = tensor(sn, ScalarType.Float64);
        using var euler = EulerSolver.Step(Gmm.AsBatchDenoiser(), x, st, snt);
        using var heun = HeunSolver.Step(Gmm.AsBatchDenoiser(), x, st, snt);
        for (int i = 0; i < 3; i++)
        {
            using var xi = x[i].unsqueeze(0);
            using var e = EulerSolver.Sample(Gmm.AsDenoiser(), xi, [s[i], sn[i]]);
            using var h = HeunSolver.Sample(Gmm.AsDenoiser(), xi, [s[i], sn[i]]);
            Assert.That(euler[i].unsqueeze(0).allclose(e, rtol: 1e-13, atol: 1e-13), Is.True, $"Euler row {i}");
            Assert.That(heun[i].unsqueeze(0).allclose(h, rtol: 1e-13, atol: 1e-13), Is.True, $"Heun row {i} (σ' = {sn[i]})");
        }
    }

    [Test]
    public void BadArgumentsThrowWithUsefulMessages()
    {
        using var x = Start(2);
        var ex = Assert.Throws<ArgumentException>(() => EulerSolver.Sample(Gmm.AsDenoiser(), x, new[] { 1.0, 2.0 }));
        Assert.That(ex!.Message, Does.Contain("strictly decreasing"));
        ex = Assert.Throws<ArgumentException>(() => HeunSolver.Sample(Gmm.AsDenoiser(), x, new[] { 1.0 }));
        Assert.That(ex!.Message, Does.Contain("at least 2"));
        ex = Assert.Throws<ArgumentException>(() => DdimSolver.Sample(Gmm.AsDenoiser(), x, new[] { 1.0, 0.0, -1.0 }));
        Assert.That(ex!.Message, Does.Contain("only the last may be 0"));
        Assert.Throws<ArgumentException>(() => EulerSolver.Sample(Gmm.AsDenoiser(), x, [0.0, 0.0]));
        using var s3 = ones(3, ScalarType.Float64);
        using var s2 = ones(2, ScalarType.Float64);
        ex = Assert.Throws<ArgumentException>(() => EulerSolver.Step(Gmm.AsBatchDenoiser(), x, s3, s2));
        Assert.That(ex!.Message, Does.Contain("shape [B] = [2]"));
        using var d = zeros(3, 4, ScalarType.Float64);
        ex = Assert.Throws<ArgumentException>(() => DpmSolverPlusPlus2M.Update(x, d, null, double.NaN, 1.0, 0.5));
        Assert.That(ex!.Message, Does.Contain("same shape"));
        Assert.Throws<ArgumentException>(() => ConsistencySampler.Sample(Gmm.AsDenoiser(), x, new[] { 1.0, 2.0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencySampler.Step(Gmm.AsDenoiser(), x, 0.001));
    }

    [Test]
    public void WorksInFloat32()
    {
        var sigmas = KarrasSchedule.Sigmas(8);
        using var x64 = Start(8);
        using var x32 = x64.to(ScalarType.Float32);
        using var a = HeunSolver.Sample(Gmm.AsDenoiser(), x32, sigmas);
        using var b = HeunSolver.Sample(Gmm.AsDenoiser(), x64, sigmas);
        Assert.That(a.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That((a.to(ScalarType.Float64) - b).abs().max().item<double>(), Is.LessThan(1e-4));
    }
}
