using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Networks;
using ConsistencyModels.Training;
using static ConsistencyModels.Tests.Training.TrainingTestHelpers;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Training;

/// <summary>
/// The generic trainer on a tiny EDM teacher: exact resume (from a checkpoint and after cancellation), the NaN/Inf
/// guard with the last good checkpoint, checkpoint validation and atomic writes.
/// </summary>
[NonParallelizable]
public class TrainerTests : SingleThreadFixture
{
    private static TrainerOptions Options(long iterations) => new()
    {
        Iterations = iterations,
        BatchSize = 4,
        LearningRate = 2e-3,
        WarmupIterations = 4,
        Seed = 7,
        CheckpointEvery = 3,
        LogEvery = 1,
        SampleEvery = 0,
    };

    private sealed class Run : IDisposable
    {
        public Run(long initSeed)
        {
            Net = TinyTeacher(initSeed);
            Ema = TinyTeacher(initSeed + 100);
            Objective = new TeacherObjective(Net, Ema, new EdmLoss(), emaRate: 0.9);
        }

        public ConsistencyModels.Preconditioning.EdmPrecond Net { get; }
        public ConsistencyModels.Preconditioning.EdmPrecond Ema { get; }
        public TeacherObjective Objective { get; }

        public void Dispose()
        {
            Net.Dispose();
            Ema.Dispose();
        }
    }

    private static InMemoryBatchSource Data() => new(Images(6, 8, 3), seed: 11);

    [Test]
    public void ResumedRunIsBitIdenticalToAnUninterruptedOne()
    {
        using var data = Data();
        string dirA = TempDir("uninterrupted"), dirB = TempDir("resumed");
        using var a = new Run(1);
        Assert.That(new Trainer(Options(12), a.Objective, data, dirA).Run(resume: false), Is.EqualTo(12));

        using (var first = new Run(1))
            Assert.That(new Trainer(Options(6), first.Objective, data, dirB).Run(resume: false), Is.EqualTo(6));
        // A new process: other initial weights, new objective and optimizer; everything comes from the checkpoint.
        using var b = new Run(2);
        Assert.That(new Trainer(Options(12), b.Objective, data, dirB).Run(resume: true), Is.EqualTo(12));
        AssertBitIdentical(a.Objective.CheckpointModules, b.Objective.CheckpointModules);

        // The check can fail: one more step changes the weights.
        using var c = new Run(2);
        new Trainer(Options(13), c.Objective, data, dirB).Run(resume: true);
        Assert.That(BitEqual(c.Net.parameters().First(), a.Net.parameters().First()), Is.False);
    }

    [Test]
    public void CancellationWritesACheckpointAndResumeContinuesExactly()
    {
        using var data = Data();
        string dirA = TempDir("reference"), dirB = TempDir("cancelled");
        using var a = new Run(1);
        new Trainer(Options(10), a.Objective, data, dirA).Run(resume: false);

        using var cts = new CancellationTokenSource();
        using (var first = new Run(1))
        {
            long done = new Trainer(Options(10), first.Objective, data, dirB, observer: new CancelAtStep(5, cts)).Run(false, cts.Token);
            Assert.That(done, Is.EqualTo(5));
        }
        Assert.That(TrainingCheckpoint.List(dirB).Select(c => c.Step), Does.Contain(5L), "cancellation writes a checkpoint at the step it stopped");
        Assert.That(TrainingCheckpoint.Peek(TrainingCheckpoint.FindLatest(dirB)!), Is.EqualTo((5L, "teacher")));

        using var b = new Run(3);
        Assert.That(new Trainer(Options(10), b.Objective, data, dirB).Run(resume: true), Is.EqualTo(10));
        AssertBitIdentical(a.Objective.CheckpointModules, b.Objective.CheckpointModules);
    }

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(double poison)
    {
        using var data = Data();
        string dir = TempDir("diverged"), refDir = TempDir("reference6");
        const long badStep = 7; // checkpoints at 3 and 6 are written before it
        using var run = new Run(1);
        var trainer = new Trainer(Options(12), new PoisonedObjective(run.Objective, badStep, poison), data, dir);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(resume: false));
        Assert.That(e!.Step, Is.EqualTo(badStep));
        Assert.That(e.Message, Does.Contain("step 7").And.Contain(TrainingCheckpoint.FileName(6)));
        Assert.That(e.LastCheckpoint, Is.Not.Null);
        Assert.That(Path.GetFileName(e.LastCheckpoint), Is.EqualTo(TrainingCheckpoint.FileName(6)));
        Assert.That(TrainingCheckpoint.List(dir).Select(c => c.Step), Is.EqualTo(new[] { 3L, 6L }), "nothing at or after the bad step");
        Assert.That(Directory.GetFiles(dir).Where(f => f.EndsWith(".tmp")), Is.Empty);

        // The kept checkpoint loads and equals the state of a clean 6-step run.
        using var clean = new Run(1);
        new Trainer(Options(6), clean.Objective, data, refDir).Run(resume: false);
        using var loaded = new Run(5);
        using var opt = new AdamOptimizer(loaded.Net.parameters(), 1e-3);
        Assert.That(TrainingCheckpoint.Load(e.LastCheckpoint!, loaded.Objective.CheckpointModules, opt), Is.EqualTo(6));
        AssertBitIdentical(clean.Objective.CheckpointModules, loaded.Objective.CheckpointModules);
    }

    [Test]
    public void NonFiniteLossBeforeAnyCheckpointSaysSo()
    {
        using var data = Data();
        string dir = TempDir("diverged0");
        using var run = new Run(1);
        var trainer = new Trainer(Options(12), new PoisonedObjective(run.Objective, 1, double.NaN), data, dir);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(resume: false));
        Assert.That(e!.Step, Is.EqualTo(1));
        Assert.That(e.LastCheckpoint, Is.Null);
        Assert.That(e.Message, Does.Contain("no checkpoint"));
        Assert.That(TrainingCheckpoint.List(dir), Is.Empty);
    }

    private static string WriteCheckpoint(string dir, Run run)
    {
        using var opt = new AdamOptimizer(run.Net.parameters(), 1e-3);
        string path = Path.Combine(dir, TrainingCheckpoint.FileName(4));
        TrainingCheckpoint.Save(path, 4, "teacher", run.Objective.CheckpointModules, opt, new Dictionary<string, string> { ["note"] = "test" });
        return path;
    }

    [Test]
    public void CheckpointRoundTripsAndWritesNoTemporaryFiles()
    {
        string dir = TempDir("roundtrip");
        using var a = new Run(1);
        string path = WriteCheckpoint(dir, a);
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EqualTo(new[] { TrainingCheckpoint.FileName(4) }));
        using var b = new Run(9);
        using var opt = new AdamOptimizer(b.Net.parameters(), 1e-3);
        Assert.That(TrainingCheckpoint.Load(path, b.Objective.CheckpointModules, opt), Is.EqualTo(4));
        AssertBitIdentical(a.Objective.CheckpointModules, b.Objective.CheckpointModules);
    }

    [Test]
    public void CheckpointWithOtherShapesNamesTheTensorAndBothShapes()
    {
        string dir = TempDir("mismatch");
        using var a = new Run(1);
        string path = WriteCheckpoint(dir, a);
        var wider = UNetConfig.Tiny with { BaseChannels = 16 };
        using var net = TinyTeacher(1, wider);
        using var ema = TinyTeacher(2, wider);
        var objective = new TeacherObjective(net, ema, new EdmLoss());
        using var opt = new AdamOptimizer(net.parameters(), 1e-3);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(path, objective.CheckpointModules, opt));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(path).And.Contain("'net.").And.Contain("shape [").And.Contain("expects ["));
    }

    [Test]
    public void CheckpointWithAMissingTensorNamesIt()
    {
        string dir = TempDir("missing");
        using var a = new Run(1);
        string path = WriteCheckpoint(dir, a);
        string broken = Path.Combine(dir, "broken.safetensors");
        string dropped;
        using (var content = Safetensors.Load(path))
        {
            dropped = content.Tensors.Keys.First(k => k.StartsWith("ema."));
            var kept = content.Tensors.Where(kv => kv.Key != dropped).ToDictionary(kv => kv.Key, kv => kv.Value);
            var meta = content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
            Safetensors.Save(broken, kept, meta);
        }
        using var b = new Run(2);
        using var opt = new AdamOptimizer(b.Net.parameters(), 1e-3);
        var before = b.Objective.CheckpointModules.SelectMany(m => m.Value.parameters()).Select(p => p.detach().clone()).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(broken, b.Objective.CheckpointModules, opt));
        Assert.That(e!.Message, Does.Contain($"'{dropped}'"));
        var after = b.Objective.CheckpointModules.SelectMany(m => m.Value.parameters()).ToArray();
        Assert.That(after.Zip(before).All(pair => pair.First.equal(pair.Second).all().item<bool>()), "a rejected checkpoint leaves every module as it was");
        Assert.That(a.Net.parameters().Zip(b.Net.parameters()).Any(p => !p.First.equal(p.Second).all().item<bool>()), "sanity: a load would have changed them");
        foreach (var t in before) t.Dispose();
    }

    [Test]
    public void AFileThatIsNotACheckpointIsRejected()
    {
        string dir = TempDir("notckpt");
        string path = Path.Combine(dir, "plain.safetensors");
        using (var t = zeros(2))
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = t });
        using var a = new Run(1);
        using var opt = new AdamOptimizer(a.Net.parameters(), 1e-3);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(path, a.Objective.CheckpointModules, opt));
        Assert.That(e!.Message, Does.Contain("not a cm training checkpoint"));
    }

    [Test]
    public void ATruncatedCheckpointIsAFormatError()
    {
        string dir = TempDir("truncated");
        using var a = new Run(1);
        string path = WriteCheckpoint(dir, a);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var opt = new AdamOptimizer(a.Net.parameters(), 1e-3);
        var e = Assert.Throws<SafetensorsFormatException>(() => TrainingCheckpoint.Load(path, a.Objective.CheckpointModules, opt));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void TrainerKeepsTheNewestCheckpointsOnly()
    {
        using var data = Data();
        string dir = TempDir("prune");
        using var run = new Run(1);
        new Trainer(Options(12) with { CheckpointEvery = 2 }, run.Objective, data, dir) { KeepCheckpoints = 2 }.Run(false);
        Assert.That(TrainingCheckpoint.List(dir).Select(c => c.Step), Is.EqualTo(new[] { 10L, 12L }));
        Assert.That(Directory.GetFiles(dir).Length, Is.EqualTo(2), "no temporary files left behind");
    }
}
