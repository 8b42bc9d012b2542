using System.Diagnostics;
using System.Text;
using ConsistencyModels.IO;
using ConsistencyModels.Platform;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>`cm train-teacher --distributed mpi` under a real mpirun: one run folder, written by rank 0 only.</summary>
public class DistributedCommandTests
{
    [Test]
    public void UnknownDistributedMode_IsOneLineUsageError()
    {
        var stderr = new StringWriter();
        int code = Cli.Run(new[] { "train-teacher", "--data", ".", "--out", "x", "--distributed", "tcp" }, new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.ToString().Trim(), Is.EqualTo("error: unknown --distributed 'tcp': expected none or mpi"));
    }

    [Test]
    public void TwoRanks_TrainResumeAndWriteOneModel()
    {
        string mpirun = RequireMpirun();
        string data = Path.Combine(TestContext.CurrentContext.TestDirectory, "data");
        Directory.CreateDirectory(data);
        var root = RepoFiles.Find("tests/data/brick.png");
        File.Copy(root, Path.Combine(data, "brick.png"), overwrite: true);
        string outDir = Path.Combine(Path.GetTempPath(), "cm-mpi-" + Guid.NewGuid().ToString("N"));
        string cm = Path.Combine(AppContext.BaseDirectory, "cm.dll");
        string[] common = ["--allow-run-as-root", "--oversubscribe", "-np", "2", "dotnet", cm, "train-teacher", "--data", data, "--out", outDir,
            "--config", "tiny", "--crop", "8", "--batch", "2", "--sample-every", "0", "--checkpoint-every", "2", "--distributed", "mpi"];
        try
        {
            var first = Run(mpirun, [.. common, "--iters", "4"]);
            Assert.That(first.Code, Is.EqualTo(0), first.Output);
            Assert.That(File.Exists(Path.Combine(outDir, "model.safetensors")), first.Output);
            var resumed = Run(mpirun, [.. common, "--iters", "6", "--resume"]);
            Assert.That(resumed.Code, Is.EqualTo(0), resumed.Output);
            Assert.That(ModelFile.ReadMetadata(Path.Combine(outDir, "model.safetensors")).TrainingIterations, Is.EqualTo(6));
            // Only rank 0 logs: one line per logged step, no duplicates from rank 1.
            var steps = File.ReadAllLines(Path.Combine(outDir, "log.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
            Assert.That(steps, Is.Unique);
            Assert.That(Directory.GetFiles(Path.Combine(outDir, "checkpoints"), "*.tmp*"), Is.Empty);
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>
    /// Two ranks with --batch 2 against one process with --shards 2 --batch 2: the same samples and noise, gradients
    /// averaged in a different order, so parameters agree to float32 summation error. Tolerance 1e-5 relative to
    /// the largest parameter: a few steps of Adam with lr 2e-4 move weights by ~1e-3, while reordering a sum of two
    /// float32 gradients changes them by ~1e-7 relative; a wrong shard split or a missing average moves them by ~lr.
    /// </summary>
    [Test]
    public void TwoRanks_EqualOneProcessWithTwoShards()
    {
        string mpirun = RequireMpirun();
        string data = Path.Combine(TestContext.CurrentContext.TestDirectory, "data-shards");
        Directory.CreateDirectory(data);
        File.Copy(RepoFiles.Find("tests/data/brick.png"), Path.Combine(data, "brick.png"), overwrite: true);
        string cm = Path.Combine(AppContext.BaseDirectory, "cm.dll");
        string mpiOut = Path.Combine(Path.GetTempPath(), "cm-mpi-" + Guid.NewGuid().ToString("N"));
        string oneOut = Path.Combine(Path.GetTempPath(), "cm-one-" + Guid.NewGuid().ToString("N"));
        string[] train = ["train-teacher", "--data", data, "--config", "tiny", "--crop", "8", "--batch", "2", "--iters", "4",
            "--sample-every", "0", "--ema", "0"];
        try
        {
            var mpi = Run(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "2", "dotnet", cm, .. train, "--out", mpiOut, "--distributed", "mpi"]);
            Assert.That(mpi.Code, Is.EqualTo(0), mpi.Output);
            var one = Run("dotnet", [cm, .. train, "--out", oneOut, "--shards", "2"]);
            Assert.That(one.Code, Is.EqualTo(0), one.Output);
            var control = Run("dotnet", [cm, .. train, "--out", oneOut + "-control", "--shards", "2", "--seed", "7"]);
            Assert.That(control.Code, Is.EqualTo(0), control.Output);

            double Diff(string a, string b)
            {
                using var ma = Safetensors.Load(Path.Combine(a, "model.safetensors"));
                using var mb = Safetensors.Load(Path.Combine(b, "model.safetensors"));
                double worst = 0, scale = 1;
                foreach (var (name, t) in ma.Tensors)
                {
                    worst = Math.Max(worst, (t - mb.Tensors[name]).abs().max().to(TorchSharp.torch.ScalarType.Float64).item<double>());
                    scale = Math.Max(scale, t.abs().max().to(TorchSharp.torch.ScalarType.Float64).item<double>());
                }
                return worst / scale;
            }
            double same = Diff(mpiOut, oneOut), different = Diff(mpiOut, oneOut + "-control");
            TestContext.Out.WriteLine($"2 ranks vs 1 process with 2 shards: {same:E2}; vs 1 process, other seed: {different:E2}");
            Assert.That(same, Is.LessThanOrEqualTo(1e-5));
            Assert.That(different, Is.GreaterThan(1e-4), "the control must differ, or the comparison proves nothing");
        }
        finally
        {
            foreach (var d in new[] { mpiOut, oneOut, oneOut + "-control" })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    /// <summary>
    /// --resume works for any K: a 2-rank run checkpointed at step 4 and finished by one process with --shards 2
    /// equals a 2-rank run that went straight to step 6 (checkpoints hold no per-rank state; the shard count fixes
    /// the sample stream).
    /// </summary>
    [Test]
    public void ResumeOnAnotherRankCount_ContinuesTheSameRun()
    {
        string mpirun = RequireMpirun();
        string data = Path.Combine(TestContext.CurrentContext.TestDirectory, "data-resume");
        Directory.CreateDirectory(data);
        File.Copy(RepoFiles.Find("tests/data/brick.png"), Path.Combine(data, "brick.png"), overwrite: true);
        string cm = Path.Combine(AppContext.BaseDirectory, "cm.dll");
        string straight = Path.Combine(Path.GetTempPath(), "cm-straight-" + Guid.NewGuid().ToString("N"));
        string switched = Path.Combine(Path.GetTempPath(), "cm-switched-" + Guid.NewGuid().ToString("N"));
        string[] train = ["train-teacher", "--data", data, "--config", "tiny", "--crop", "8", "--batch", "2", "--shards", "2",
            "--sample-every", "0", "--checkpoint-every", "2", "--ema", "0"];
        string[] mpi = ["--allow-run-as-root", "--oversubscribe", "-np", "2", "dotnet", cm];
        try
        {
            var a = Run(mpirun, [.. mpi, .. train, "--out", straight, "--iters", "6", "--distributed", "mpi"]);
            Assert.That(a.Code, Is.EqualTo(0), a.Output);
            var b = Run(mpirun, [.. mpi, .. train, "--out", switched, "--iters", "4", "--distributed", "mpi"]);
            Assert.That(b.Code, Is.EqualTo(0), b.Output);
            var c = Run("dotnet", [cm, .. train, "--out", switched, "--iters", "6", "--resume"]);
            Assert.That(c.Code, Is.EqualTo(0), c.Output);
            using var ma = Safetensors.Load(Path.Combine(straight, "model.safetensors"));
            using var mb = Safetensors.Load(Path.Combine(switched, "model.safetensors"));
            double worst = 0;
            foreach (var (name, t) in ma.Tensors) worst = Math.Max(worst, (t - mb.Tensors[name]).abs().max().to(TorchSharp.torch.ScalarType.Float64).item<double>());
            TestContext.Out.WriteLine($"K=2 straight vs K=2 then K=1: max |Δθ| = {worst:E2}");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-5));
        }
        finally
        {
            foreach (var d in new[] { straight, switched })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    private static string RequireMpirun()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
        if (found is not null) return found;
        const string reason = "mpirun not found: install openmpi-bin libopenmpi-dev";
        if (Environment.GetEnvironmentVariable("CM_REQUIRE_MPI") == "1") Assert.Fail(reason);
        Assert.Ignore(reason);
        return "";
    }


    private static (int Code, string Output) Run(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment.Remove("OMPI_COMM_WORLD_SIZE");
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromSeconds(180)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun did not finish within 180 s:\n{output}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.ToString());
    }
}
