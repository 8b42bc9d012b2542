using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Training;

/// <summary>A fixed set of images; batch k is drawn with replacement by a generator seeded from (seed, k, rank).</summary>
internal sealed class InMemoryBatchSource : IBatchSource, IDisposable
{
    private readonly long _seed;

    public InMemoryBatchSource(Tensor images, long seed)
    {
        Images = images;
        _seed = seed;
    }

    public Tensor Images { get; }

    public int ClassCount => 0;

    public (Tensor Images, Tensor? Labels) GetBatch(long step, int rank, int batchSize)
    {
        using var g = new Generator((ulong)Trainer.StepSeed(_seed, step, rank));
        using var idx = randint(0, Images.shape[0], new long[] { batchSize }, dtype: ScalarType.Int64, generator: g);
        return (Images.index_select(0, idx), null);
    }

    public void Dispose() => Images.Dispose();
}

/// <summary>Wraps an objective and makes its loss non-finite at one step (the NaN/Inf guard test).</summary>
internal sealed class PoisonedObjective : ITrainingObjective
{
    private readonly ITrainingObjective _inner;
    private readonly long _badStep;
    private readonly double _value;

    public PoisonedObjective(ITrainingObjective inner, long badStep, double value)
    {
        _inner = inner;
        _badStep = badStep;
        _value = value;
    }

    public string Method => _inner.Method;
    public nn.Module Trainable => _inner.Trainable;
    public nn.Module ResultModel => _inner.ResultModel;
    public IReadOnlyDictionary<string, nn.Module> CheckpointModules => _inner.CheckpointModules;

    public Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        var loss = _inner.Loss(step, x0, labels, generator);
        if (step != _badStep) return loss;
        using (loss) return loss.Times(_value);
    }

    public void AfterOptimizerStep(long step) => _inner.AfterOptimizerStep(step);
    public void OnResumed(long step) => _inner.OnResumed(step);
    public void Dispose() => _inner.Dispose();
}

/// <summary>Cancels a token once a given number of steps is reported.</summary>
internal sealed class CancelAtStep : ITrainingObserver
{
    private readonly long _step;
    private readonly CancellationTokenSource _cts;

    public CancelAtStep(long step, CancellationTokenSource cts)
    {
        _step = step;
        _cts = cts;
    }

    public void OnProgress(long stepsDone, long total, double meanLoss, double stepsPerSecond)
    {
        if (stepsDone == _step) _cts.Cancel();
    }

    public void OnCheckpoint(long stepsDone, string path) { }
    public void OnSampleTime(long stepsDone) { }
}

internal static class TrainingTestHelpers
{
    private static readonly List<string> Created = new();

    /// <summary>A fresh temporary folder (deleted by <see cref="DeleteTempDirs"/>).</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cm-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        lock (Created) Created.Add(dir);
        return dir;
    }

    /// <summary>Deletes the folders made by <see cref="TempDir"/>.</summary>
    public static void DeleteTempDirs()
    {
        lock (Created)
        {
            foreach (var dir in Created)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            Created.Clear();
        }
    }

    /// <summary>n images [n, 3, size, size] in [-1, 1].</summary>
    public static Tensor Images(int n, int size, ulong seed) =>
        (rand(new long[] { n, 3, size, size }, generator: new Generator(seed)).Times(2).Minus(1));

    /// <summary>An EDM teacher on the tiny config, initialized from <paramref name="seed"/>.</summary>
    public static EdmPrecond TinyTeacher(long seed, UNetConfig? config = null)
    {
        manual_seed(seed);
        return new EdmPrecond(new UNet(config ?? UNetConfig.Tiny));
    }

    /// <summary>Every tensor of every module's state, by "role.name".</summary>
    public static Dictionary<string, Tensor> State(IReadOnlyDictionary<string, nn.Module> modules)
    {
        var all = new Dictionary<string, Tensor>();
        foreach (var (role, m) in modules)
            foreach (var (name, t) in m.state_dict()) all[role + "." + name] = t;
        return all;
    }

    /// <summary>Same shape and every element equal.</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    /// <summary>Asserts two module sets hold bit-identical tensors.</summary>
    public static void AssertBitIdentical(IReadOnlyDictionary<string, nn.Module> a, IReadOnlyDictionary<string, nn.Module> b)
    {
        var sa = State(a);
        var sb = State(b);
        Assert.That(sb.Keys, Is.EquivalentTo(sa.Keys));
        int differ = 0;
        foreach (var (key, t) in sa)
            if (!BitEqual(t, sb[key])) { differ++; TestContext.Out.WriteLine($"differs: {key} (max |Δ| = {(t - sb[key]).abs().max().item<float>():E2})"); }
        Assert.That(differ, Is.EqualTo(0), $"{differ} of {sa.Count} tensors differ");
    }
}

/// <summary>
/// Runs a fixture's tests with one intra-op thread: on the shared 2-core machine, two OpenMP threads contending
/// with other processes made a tiny training step 10–50× slower (measured 0.4–7 s vs 30–100 ms per step).
/// The previous setting is restored afterwards.
/// </summary>
public abstract class SingleThreadFixture
{
    private int _threads;

    /// <summary>Saves the thread count and sets it to 1.</summary>
    [OneTimeSetUp]
    public void UseOneThread()
    {
        _threads = get_num_threads();
        set_num_threads(1);
    }

    /// <summary>Restores the thread count and deletes the fixture's temporary folders.</summary>
    [OneTimeTearDown]
    public void RestoreThreads()
    {
        set_num_threads(_threads);
        TrainingTestHelpers.DeleteTempDirs();
    }
}
