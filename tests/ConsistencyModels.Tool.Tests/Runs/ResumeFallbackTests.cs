using ConsistencyModels.Tool.Tests.Commands;

namespace ConsistencyModels.Tool.Tests.Runs;

/// <summary>--resume with a broken newest checkpoint continues from the newest valid one, says so, and stays exact.</summary>
public class ResumeFallbackTests : SingleThreadFixture
{
    private static string[] Train(string outDir, int iters) =>
        ["train-teacher", "--data", TestModels.DataFolder, "--out", outDir, "--config", "tiny", "--crop", "8", "--batch", "2",
         "--iters", $"{iters}", "--warmup", "0", "--checkpoint-every", "2", "--sample-every", "0", "--log-every", "1"];

    [Test]
    public void ResumeSkipsACorruptNewestCheckpointAndMatchesAnUninterruptedRun()
    {
        using var tmp = new TempFolder();
        string straight = tmp.File("straight"), resumed = tmp.File("resumed");
        var a = CliHarness.RunReal(Train(straight, 6));
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Stderr);
        var b = CliHarness.RunReal(Train(resumed, 4));
        Assert.That(b.ExitCode, Is.EqualTo(0), b.Stderr);

        // The newest checkpoint broken on disk (a truncated copy, as a full disk leaves it).
        string newest = Path.Combine(resumed, "checkpoints", "step-00000004.safetensors");
        var bytes = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, bytes.AsSpan(0, bytes.Length / 2).ToArray());

        var c = CliHarness.RunReal([.. Train(resumed, 6), "--resume"]);
        Assert.That(c.ExitCode, Is.EqualTo(0), c.Stderr + c.Stdout);
        Assert.That(c.Stdout, Does.Contain("--resume: skipping step-00000004.safetensors, not a valid checkpoint: "));
        Assert.That(c.Stdout, Does.Contain("--resume: resuming from the newest valid checkpoint, step-00000002.safetensors (step 2)"));
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")), Is.EqualTo(File.ReadAllBytes(Path.Combine(straight, "model.safetensors"))),
            "resumed from step 2, the run ends bit-identical to the uninterrupted one");
    }

    [Test]
    public void ResumeWithNoValidCheckpointIsOneLine()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("run/checkpoints"));
        File.WriteAllText(tmp.File("run/checkpoints/step-00000002.safetensors"), "garbage");
        var r = CliHarness.RunReal([.. Train(tmp.File("run"), 4), "--resume"]);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure), r.Stderr);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.StartWith("error: --resume: no valid checkpoint in ").And.Contain("use --force to start over"));
    }
}
