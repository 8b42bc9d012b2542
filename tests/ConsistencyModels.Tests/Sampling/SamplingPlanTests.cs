using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Sampling;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Training;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Sampling;

/// <summary>The one sampling decision: default sampler and steps per sampling kind, σ per evaluation, and plans that
/// reproduce the library's ConsistencySampler and EulerSolver.</summary>
public class SamplingPlanTests
{
    private static ModelMetadata Meta(ModelKind kind, TrainingMethod method, double[]? grid = null, double[]? taus = null) => new()
    {
        Kind = kind, Config = UNetConfig.Tiny, Method = method, SamplingSigmas = grid ?? [], MultistepTaus = taus ?? [],
    };

    private static readonly double TauDefault = KarrasSchedule.Sigmas(40, 0.002, 80, 7, appendZero: false)[20];

    [Test]
    public void DefaultSamplerAndStepsPerSamplingKind()
    {
        Assert.That(Enum.GetValues<SamplingKind>(), Has.Length.EqualTo(3), "a new kind needs its defaults here");
        var consistency = Meta(ModelKind.Consistency, TrainingMethod.Cd);
        var teacher = Meta(ModelKind.Teacher, TrainingMethod.Teacher);
        var rectified = Meta(ModelKind.Teacher, TrainingMethod.Rectified);
        var progressive = Meta(ModelKind.Teacher, TrainingMethod.Progressive, grid: [80, 3, 0.5, 0]);
        Assert.That(SamplingPlan.DefaultSampler(consistency), Is.EqualTo(SamplerKind.Consistency));
        Assert.That(SamplingPlan.DefaultSampler(teacher), Is.EqualTo(SamplerKind.Heun));
        Assert.That(SamplingPlan.DefaultSampler(rectified), Is.EqualTo(SamplerKind.Euler));
        Assert.That(SamplingPlan.DefaultSteps(consistency, SamplerKind.Consistency), Is.EqualTo(1));
        Assert.That(SamplingPlan.DefaultSteps(teacher, SamplerKind.Heun), Is.EqualTo(18));
        Assert.That(SamplingPlan.DefaultSteps(teacher, SamplerKind.Euler), Is.EqualTo(35));
        Assert.That(SamplingPlan.DefaultSteps(rectified, SamplerKind.Euler), Is.EqualTo(2));
        Assert.That(SamplingPlan.DefaultSteps(progressive, SamplerKind.Euler), Is.EqualTo(3), "its own 3-step grid");
        foreach (var sampler in Enum.GetValues<SamplerKind>())
        {
            Assert.That(SamplingPlan.Nfe(sampler, 3), Is.EqualTo(sampler is SamplerKind.Heun or SamplerKind.Stochastic ? 5 : 3), EnumNames.Of(sampler));
            Assert.That(SamplingPlan.Fits(consistency, sampler), Is.EqualTo(sampler == SamplerKind.Consistency));
            Assert.That(SamplingPlan.Fits(rectified, sampler), Is.EqualTo(sampler != SamplerKind.Consistency));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplingPlan.Nfe((SamplerKind)99, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplingPlan.DefaultSteps(teacher, (SamplerKind)99));
    }

    [Test]
    public void ConsistencyPlanReNoisesToTau()
    {
        var plan = SamplingPlan.For(Meta(ModelKind.Consistency, TrainingMethod.Cd, taus: [0.8]), 2);
        Assert.That(plan.Sigmas, Is.EqualTo(new[] { 80.0, 0.8 }));
        Assert.That(plan.StartScale, Is.EqualTo(80.0));
        Assert.That(plan.Transitions, Is.EqualTo(new[] { new PlanTransition(0, 1, Math.Sqrt(0.8 * 0.8 - 0.002 * 0.002)) }));
        Assert.That(SamplingPlan.For(Meta(ModelKind.Consistency, TrainingMethod.Cd), 2).Sigmas[1], Is.EqualTo(TauDefault));
        Assert.That(SamplingPlan.For(Meta(ModelKind.Consistency, TrainingMethod.Cd), 1).Transitions, Is.Empty);
    }

    [Test]
    public void FewStepTwoStepSigmaDoesWorkUnlikeTheKarrasGrid()
    {
        // The Karras 2-step grid is [σmax, σmin, 0]: a second evaluation at σmin changes almost nothing.
        var rectified = Meta(ModelKind.Teacher, TrainingMethod.Rectified);
        Assert.That(SamplingPlan.OdeGrid(rectified, 2), Is.EqualTo(new[] { 80.0, TauDefault, 0.0 }));
        Assert.That(SamplingPlan.OdeGrid(rectified with { MultistepTaus = [5.0] }, 2), Is.EqualTo(new[] { 80.0, 5.0, 0.0 }), "the searched σ₁");
        Assert.That(SamplingPlan.OdeGrid(Meta(ModelKind.Teacher, TrainingMethod.Teacher), 2), Is.EqualTo(new[] { 80.0, 0.002, 0.0 }),
            "a teacher keeps the plain Karras grid");
        var plan = SamplingPlan.For(rectified, 2);
        double k = (TauDefault - 80) / 80;
        Assert.That(plan.Sigmas, Is.EqualTo(new[] { 80.0, TauDefault }));
        Assert.That(plan.Transitions, Is.EqualTo(new[] { new PlanTransition(1 + k, -k, 0) }));
        Assert.Throws<ArgumentException>(() => SamplingPlan.For(Meta(ModelKind.Teacher, TrainingMethod.Teacher), 2));
        Assert.Throws<ArgumentException>(() => SamplingPlan.For(rectified, SamplerKind.Heun, 2));
    }

    /// <summary>
    /// On an exact oracle (a two-component Gaussian mixture, whose probability-flow ODE is solved to 1e-6), the few-step
    /// plan's second evaluation moves the 2-step Euler result toward the ODE's endpoint, where the Karras grid's σmin
    /// second step leaves the 1-step result (≈ the data mean) as it is.
    /// </summary>
    [Test]
    public void FewStepSecondEvaluationMovesTowardTheOdeSolutionOnAnExactOracle()
    {
        var gmm = new ConsistencyModels.Oracles.GaussianMixture([0.5, 0.5], new double[,] { { -0.6, 0.3 }, { 0.6, -0.3 } }, [0.15, 0.15]);
        var denoiser = gmm.AsDenoiser();
        using var z = randn(new long[] { 256, 2 }, ScalarType.Float64, generator: new Generator(11));
        using var xT = z.Times(80.0);
        using var exact = ConsistencyModels.Oracles.ExactOdeSolution.Solve(denoiser, xT, 80, 0);
        double Error(IReadOnlyList<double> grid)
        {
            using var x = EulerSolver.Sample(denoiser, xT, grid);
            using var d = x - exact.X;
            using var mse = (d * d).mean();
            return mse.item<double>();
        }
        var rectified = Meta(ModelKind.Teacher, TrainingMethod.Rectified);
        double plan = Error(SamplingPlan.OdeGrid(rectified, 2));
        double karras = Error([80.0, 0.002, 0.0]);
        double oneStep = Error([80.0, 0.0]);
        TestContext.Out.WriteLine($"MSE to the exact ODE endpoint: 1 step {oneStep:g3}, Karras 2-step {karras:g3}, plan 2-step {plan:g3}");
        Assert.That(karras, Is.EqualTo(oneStep).Within(0.02 * oneStep), "a second evaluation at σmin changes almost nothing");
        Assert.That(plan, Is.LessThan(0.7 * karras), "the plan's σ₁ does work (measured 0.144 vs 0.25)");
    }

    /// <summary>Executing a plan's linear recursion equals the library's samplers (the runtime executes the same plans).</summary>
    [TestCase(SamplerKind.Consistency, 1)]
    [TestCase(SamplerKind.Consistency, 3)]
    [TestCase(SamplerKind.Euler, 1)]
    [TestCase(SamplerKind.Euler, 2)]
    [TestCase(SamplerKind.Euler, 4)]
    public void ExecutingThePlanEqualsTheSolver(SamplerKind sampler, int steps)
    {
        var meta = sampler == SamplerKind.Consistency ? Meta(ModelKind.Consistency, TrainingMethod.Cd) : Meta(ModelKind.Teacher, TrainingMethod.Rectified);
        var plan = SamplingPlan.For(meta, sampler, steps);
        Denoiser d = (x, s) => x.Times(1.0 / (1 + s * s)).tanh(); // any nonlinear function of (x, σ)
        using var z = randn(new long[] { 2, 3, 4, 4 }, ScalarType.Float64, generator: new Generator(3));
        using var reference = sampler == SamplerKind.Consistency
            ? ConsistencySampler.Sample(d, z.Times(plan.StartScale), SamplingPlan.ConsistencyTaus(meta, steps), meta.SigmaMax, meta.SigmaMin, new Generator(4))
            : EulerSolver.Sample(d, z.Times(plan.StartScale), SamplingPlan.OdeGrid(meta, steps));
        using var noise = new Generator(4);
        using var scope = NewDisposeScope();
        var x = z.Times(plan.StartScale);
        var denoised = d(x, plan.Sigmas[0]);
        for (int i = 0; i < plan.Transitions.Count; i++)
        {
            var t = plan.Transitions[i];
            var next = x.Times(t.Input).Plus(denoised.Times(t.Denoised));
            if (t.Noise != 0) next = next.Plus(randn(x.shape, ScalarType.Float64, generator: noise).Times(t.Noise));
            x = next;
            denoised = d(x, plan.Sigmas[i + 1]);
        }
        Assert.That((denoised - reference).abs().max().item<double>(), Is.LessThan(1e-9));
    }
}
