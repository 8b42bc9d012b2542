using ConsistencyModels.Losses;
using ConsistencyModels.Networks;
using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Training;
using static ConsistencyModels.Tests.Training.TrainingTestHelpers;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Training;

/// <summary>
/// Consistency distillation through the real trainer with an exact teacher: the Heun step of the empirical
/// denoiser of 4 small images. The ODE error E = RMS(f_θ(x_T, σmax) − Φ(x_T)) against the exact PF-ODE solution
/// must fall, and the boundary condition f_θ(x, ε) = x must hold exactly after training.
/// </summary>
[NonParallelizable]
public class ConsistencyDistillationTrainingTests : SingleThreadFixture
{
    private sealed class LossLog : ITrainingObserver
    {
        public List<(long Step, double Loss)> Losses { get; } = new();
        public void OnProgress(long stepsDone, long total, double meanLoss, double stepsPerSecond) => Losses.Add((stepsDone, meanLoss));
        public void OnCheckpoint(long stepsDone, string path) { }
        public void OnSampleTime(long stepsDone) { }
    }

    private static double Rms(Tensor a, Tensor b)
    {
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).Square().mean();
        return Math.Sqrt(d.item<double>());
    }

    /// <summary>
    /// Four flat-colored 3×size×size images in [-1, 1]: a shared color plus a per-image offset of ±spread. Flat,
    /// because the circular-padded U-Net is shift-equivariant: from pure noise at σmax it cannot produce one fixed
    /// spatial pattern, so Φ(x_T) must be a function it can represent (per-channel values chosen by global statistics).
    /// </summary>
    private static Tensor SimilarImages(double spread, int size)
    {
        var colors = new double[,] { { 1, -1, 0.5 }, { -1, 0.5, 1 }, { 0.5, 1, -1 }, { -0.5, -0.5, -0.5 } };
        double[] shared = { 0.5, -0.4, 0.3 };
        var values = new float[4 * 3 * size * size];
        for (int j = 0; j < 4; j++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < size * size; p++)
                    values[(j * 3 + c) * size * size + p] = (float)(shared[c] + spread * colors[j, c]);
        return tensor(values, new long[] { 4, 3, size, size });
    }

    [Test]
    public void CdWithAnExactTeacherReducesTheOdeErrorAndKeepsTheBoundaryCondition()
    {
        // Settings that converge in a few seconds (measured E: 0.435 → 0.159 in 300 steps; "output the mean color"
        // alone would give ≈ 0.12, random colors 0.42).
        const int n = 8, iters = 300, size = 8;
        const double lr = 1e-3, mu = 0.9, sigmaMax = 80, eps = 0.002;
        var grid = KarrasSchedule.Sigmas(n, eps, sigmaMax, 7.0, appendZero: false);

        using var images = SimilarImages(0.15, size);
        using var flat = images.reshape(4, -1);
        using var oracle = new EmpiricalDataset(flat);
        var exactDenoiser = oracle.AsBatchDenoiser();
        OdeStep teacher = (x, s, sn, _) => HeunSolver.Step(exactDenoiser, x, s, sn);

        manual_seed(5);
        using var student = new ConsistencyPrecond(new UNet(UNetConfig.Tiny), eps);
        using var target = new ConsistencyPrecond(new UNet(UNetConfig.Tiny), eps);
        using var ema = new ConsistencyPrecond(new UNet(UNetConfig.Tiny), eps);
        var loss = new ConsistencyDistillationLoss(grid, DistanceMetricKind.L2, LossWeightingKind.Uniform);
        using var objective = new ConsistencyDistillationObjective(student, target, ema, teacher, loss, targetRate: mu, emaRate: 0.99);

        // Fixed evaluation batch x_T = σmax·z and its exact ODE solution Φ(x_T) at ε.
        using var xT = randn(new long[] { 16, 3, size, size }, generator: new Generator(99)).Times(sigmaMax);
        using var phi = ExactOdeSolution.Solve(oracle.AsDenoiser(), xT, sigmaMax, eps, stepsPerUnit: 32);
        using var heun = HeunSolver.Sample(oracle.AsDenoiser(), xT, grid);
        double OdeError(nn.Module<Tensor, Tensor, Tensor?, Tensor> f)
        {
            using var _ = no_grad();
            f.eval();
            using var s = ScalarArithmetic.Full([16], sigmaMax, ScalarType.Float32);
            using var y = f.call(xT, s, null);
            return Rms(y, phi.X);
        }
        double before = OdeError(student);

        using var data = new InMemoryBatchSource(images.clone(), seed: 3);
        var log = new LossLog();
        var options = new TrainerOptions
        {
            Iterations = iters, BatchSize = 8, LearningRate = lr, Seed = 4, CheckpointEvery = 1_000_000, LogEvery = 50, SampleEvery = 0,
        };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        new Trainer(options, objective, data, TempDir("cd-ode"), observer: log).Run(resume: false);
        double after = OdeError(student), afterEma = OdeError(ema);
        TestContext.Out.WriteLine($"N {n}, μ {mu}, lr {lr}, {iters} steps in {sw.Elapsed.TotalSeconds:F1} s; loss " +
            $"size {size}; " + string.Join(", ", log.Losses.Select(l => $"{l.Step}:{l.Loss:G3}")));
        TestContext.Out.WriteLine($"E before {before:F4}, after {after:F4} (EMA {afterEma:F4}); Heun teacher on the grid {Rms(heun, phi.X):F4}; " +
            $"data RMS {Math.Sqrt(images.Square().mean().item<float>()):F4}");
        Assert.That(after, Is.LessThan(0.5 * before), "the student's ODE error");
        Assert.That(afterEma, Is.LessThan(0.5 * before), "the EMA's ODE error");

        // Boundary condition after training, for σ = ε given as float64 and float32.
        using var x = randn(new long[] { 3, 3, size, size }, generator: new Generator(7)).Times(0.7);
        using (no_grad())
        {
            foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
            {
                using var s = ScalarArithmetic.Full([3], eps, type);
                using var y = student.call(x, s, null);
                using var yEma = ema.call(x, s, null);
                Assert.That(BitEqual(y, x), Is.True, $"f(x, ε) = x with σ as {type}");
                Assert.That(BitEqual(yEma, x), Is.True, $"EMA f(x, ε) = x with σ as {type}");
            }
            // Not trivially the identity elsewhere: the network has learned something.
            using var s2 = ScalarArithmetic.Full([3], 1.0, ScalarType.Float32);
            using var y2 = student.call(x, s2, null);
            Assert.That(Rms(y2, x), Is.GreaterThan(1e-3));
        }
    }
}
