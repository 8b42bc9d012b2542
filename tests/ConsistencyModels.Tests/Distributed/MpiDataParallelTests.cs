using MpiTestHost;
using static ConsistencyModels.Tests.Distributed.MpiTestEnvironment;

namespace ConsistencyModels.Tests.Distributed;

/// <summary>End-to-end data parallelism over Open MPI: 2 ranks launched by mpirun on this machine.</summary>
[TestFixture]
[NonParallelizable]
public sealed class MpiDataParallelTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = NewWorkDir();

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static float MaxAbsDiff(IReadOnlyList<NamedTensor> a, IReadOnlyList<NamedTensor> b)
    {
        Assert.That(a.Select(t => t.Name), Is.EqualTo(b.Select(t => t.Name)));
        float max = 0;
        for (int i = 0; i < a.Count; i++)
        {
            Assert.That(a[i].Shape, Is.EqualTo(b[i].Shape));
            for (int k = 0; k < a[i].Values.Length; k++) max = Math.Max(max, Math.Abs(a[i].Values[k] - b[i].Values[k]));
        }
        return max;
    }

    [Test]
    public void TwoRanksWithBatchB_MatchOneProcessWithBatch2B_OnTheSameSamples()
    {
        const string steps = "4", batch = "4";
        // Tiny buckets (64 bytes) force several all-reduces per step, so the bucketing is exercised too.
        var mpi = RunMpi(2, _dir, "--steps", steps, "--batch", batch, "--shards", "2", "--bucket-bytes", "64", "--out", "mpi.bin");
        Assert.That(mpi.ExitCode, Is.EqualTo(0), mpi.All);
        Assert.That(mpi.StdOut, Does.Contain("replicas-agree=true world-size=2"), "both ranks must hold identical parameters");
        // One process drawing both shards (rank 0's and rank 1's samples, their union) as one batch of 2B.
        var single = RunSingle(_dir, "--steps", steps, "--batch", "8", "--shards", "2", "--out", "single.bin");
        Assert.That(single.ExitCode, Is.EqualTo(0), single.All);
        // Control: same global batch size 2B from one shard's stream: different samples.
        var other = RunSingle(_dir, "--steps", steps, "--batch", "8", "--shards", "1", "--out", "other.bin");
        Assert.That(other.ExitCode, Is.EqualTo(0), other.All);

        var (mpiSteps, mpiParams) = ParameterFile.Read(Path.Combine(_dir, "mpi.bin"));
        var (_, singleParams) = ParameterFile.Read(Path.Combine(_dir, "single.bin"));
        var (_, otherParams) = ParameterFile.Read(Path.Combine(_dir, "other.bin"));
        Assert.That(mpiSteps, Is.EqualTo(4));
        float scale = singleParams.SelectMany(t => t.Values).Max(Math.Abs);
        // Tolerance: the two runs differ only in float32 summation order — (mean of 4 + mean of 4)/2 over MPI versus
        // one mean of 8 in libtorch (with different thread counts). Each gradient value then differs by a few ulps
        // (~1e-7 relative); after 4 SGD steps with lr 0.05 the parameters (scale ~0.5) differ by ~1e-7 at most.
        // 1e-5 × scale leaves ~100× headroom, yet a real fault is far larger: a missing ÷K doubles the step (≈1e-2),
        // a wrong sample set moves parameters by ≈1e-3 (the control below), a failed broadcast by ≈1e-1.
        float tolerance = 1e-5f * Math.Max(1f, scale);
        float diff = MaxAbsDiff(mpiParams, singleParams);
        float controlDiff = MaxAbsDiff(otherParams, singleParams);
        TestContext.Out.WriteLine($"max |mpi - single| = {diff:E3}, tolerance {tolerance:E3}, control (other samples) {controlDiff:E3}");
        Assert.That(diff, Is.LessThanOrEqualTo(tolerance));
        Assert.That(controlDiff, Is.GreaterThan(100 * tolerance), "the comparison must be able to tell different samples apart");
    }

    [Test]
    public void CheckpointOfATwoRankRun_ResumesInOneProcess_OnTheSameSampleStream()
    {
        // 2 ranks × batch 4 for 2 steps, then 1 process × batch 8 for steps 3-4, both with 2 shards ...
        var first = RunMpi(2, _dir, "--steps", "2", "--batch", "4", "--shards", "2", "--checkpoint", "ck.bin");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.All);
        var resumed = RunSingle(_dir, "--steps", "4", "--batch", "8", "--shards", "2", "--resume", "ck.bin", "--out", "resumed.bin");
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.All);
        Assert.That(resumed.StdOut, Does.Not.Contain("step 1 ").And.Contain("step 3 ").And.Contain("step 4 "));
        // ... equals 4 uninterrupted steps in one process (same tolerance and reasoning as the K-versus-1 test).
        var straight = RunSingle(_dir, "--steps", "4", "--batch", "8", "--shards", "2", "--out", "straight.bin");
        Assert.That(straight.ExitCode, Is.EqualTo(0), straight.All);
        var (_, a) = ParameterFile.Read(Path.Combine(_dir, "resumed.bin"));
        var (_, b) = ParameterFile.Read(Path.Combine(_dir, "straight.bin"));
        float scale = b.SelectMany(t => t.Values).Max(Math.Abs);
        Assert.That(MaxAbsDiff(a, b), Is.LessThanOrEqualTo(1e-5f * Math.Max(1f, scale)));
    }

    [TestCase("kill")]
    [TestCase("exit")]
    public void RankDyingMidRun_StopsTheJob_AndLeavesAnIntactCheckpoint(string mode)
    {
        const int crashStep = 4;
        var r = RunMpi(2, _dir, "--steps", "50", "--batch", "4", "--checkpoint", "ck.bin",
            "--crash-rank", "1", "--crash-step", crashStep.ToString(), "--crash-mode", mode);
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.All);
        // mpirun names the rank that died (signal 9 for kill, exit status 42 for exit).
        Assert.That(r.All, mode == "kill" ? Does.Contain("rank 1").And.Contain("signal 9") : Does.Match(@"Exit code:\s+42"));
        AssertCheckpointIntact(crashStep);
    }

    [Test]
    public void RankThrowing_AbortsTheJob_WithOneClearMessage()
    {
        const int crashStep = 4;
        var r = RunMpi(2, _dir, "--steps", "50", "--batch", "4", "--checkpoint", "ck.bin",
            "--crash-rank", "1", "--crash-step", crashStep.ToString(), "--crash-mode", "throw");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.All);
        const string message = "error: rank 1 of 2: injected fault: bad input at step 4 (aborting the MPI job)";
        Assert.That(CountOccurrences(r.All, message), Is.EqualTo(1), r.All);
        Assert.That(CountOccurrences(r.All, "error: rank"), Is.EqualTo(1), "only the failing rank reports");
        AssertCheckpointIntact(crashStep);
    }

    [Test]
    public void BadInputOnRankZero_WhileRankOneWaits_AbortsWithOneMessage()
    {
        // Rank 0 cannot read the checkpoint to resume from; rank 1 is already waiting in a collective.
        File.WriteAllBytes(Path.Combine(_dir, "broken.bin"), [1, 2, 3]);
        var r = RunMpi(2, _dir, "--steps", "5", "--batch", "4", "--resume", "broken.bin");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.All);
        Assert.That(CountOccurrences(r.All, "error: rank 0 of 2:"), Is.EqualTo(1), r.All);
        Assert.That(r.All, Does.Contain("broken.bin").And.Contain("too short"));
    }

    [Test]
    public void NonFiniteLossOnOneRank_StopsAllRanksAtTheSameStep()
    {
        var r = RunMpi(2, _dir, "--steps", "50", "--batch", "4", "--checkpoint", "ck.bin", "--nan-rank", "1", "--nan-step", "2");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.All);
        Assert.That(CountOccurrences(r.All, "non-finite loss at step 2"), Is.EqualTo(1), r.All);
        // Every rank agreed before the update of step 2, so the last checkpoint is exactly after 2 steps.
        var (steps, _) = ParameterFile.Read(Path.Combine(_dir, "ck.bin"));
        Assert.That(steps, Is.EqualTo(2));
    }

    [Test]
    public void WithoutMpirun_TheHostRunsSingleProcess_AndNeverMapsLibmpi()
    {
        RequireMpirun(); // the host binary is only meaningful next to the other MPI tests
        var r = RunSingle(_dir, "--steps", "2", "--batch", "2", "--report-maps");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.All);
        Assert.That(r.StdOut, Does.Contain("world-size=1"));
        Assert.That(r.StdOut, Does.Contain("libmpi-mapped=false"));
    }

    private void AssertCheckpointIntact(int crashStep)
    {
        var path = Path.Combine(_dir, "ck.bin");
        Assert.That(File.Exists(path), Is.True, "rank 0 checkpoints every step");
        // Intact: SHA-256, structure and sizes validated by the reader.
        var (steps, tensors) = ParameterFile.Read(path);
        // Rank 0 cannot pass the all-reduce of the crash step, so at most crashStep steps completed; it may have
        // been killed while writing the checkpoint of step crashStep (then the previous one must remain).
        Assert.That(steps, Is.InRange(crashStep - 1, crashStep));
        Assert.That(tensors, Has.Count.EqualTo(6));
        Assert.That(Directory.GetFiles(_dir, "ck.bin.tmp.*").Length, Is.LessThanOrEqualTo(1), "at most one interrupted temporary");
        // Loadable: a fresh process loads it into the model (names and shapes checked).
        var verify = RunSingle(_dir, "--verify", path);
        Assert.That(verify.ExitCode, Is.EqualTo(0), verify.All);
        Assert.That(verify.StdOut, Does.Contain($"checkpoint ok: steps={steps}"));
    }

    private static int CountOccurrences(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
