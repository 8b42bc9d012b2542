using ConsistencyModels.Tool.Runs;

namespace ConsistencyModels.Tool.Tests.Runs;

public class RunDirectoryTests
{
    [Test]
    public void NewRunCreatesTheLayout()
    {
        using var temp = new TempFolder();
        string dir = temp.File("run");
        var run = RunDirectory.Prepare(dir, resume: false, force: false);
        Assert.That(Directory.Exists(run.CheckpointsDirectory) && Directory.Exists(run.SamplesDirectory));
        Assert.That(run.ModelPath, Is.EqualTo(Path.Combine(dir, "model.safetensors")));
        Assert.That(run.LogPath, Is.EqualTo(Path.Combine(dir, "log.jsonl")));
        Assert.That(run.CheckpointPath(1200), Is.EqualTo(Path.Combine(dir, "checkpoints", "step-00001200.safetensors")));
        Assert.That(run.SampleGridPath(7), Is.EqualTo(Path.Combine(dir, "samples", "step-00000007.png")));
        Assert.That(run.LatestCheckpointStep(), Is.Null);
        Assert.That(run.IsResume, Is.False);
    }

    [Test]
    public void RefusesToOverwriteAFinishedRun()
    {
        using var temp = new TempFolder();
        var run = RunDirectory.Prepare(temp.Path, false, false);
        File.WriteAllText(run.ModelPath, "model");
        var error = Assert.Throws<CmException>(() => RunDirectory.Prepare(temp.Path, false, false))!;
        Assert.That(error.Message, Does.Contain("already holds a finished run").And.Contain("--force").And.Contain("--resume"));
        Assert.That(File.ReadAllText(run.ModelPath), Is.EqualTo("model"));
    }

    [Test]
    public void RefusesAnInterruptedRunWithoutResume()
    {
        using var temp = new TempFolder();
        var run = RunDirectory.Prepare(temp.Path, false, false);
        File.WriteAllText(run.CheckpointPath(300), "c");
        var error = Assert.Throws<CmException>(() => RunDirectory.Prepare(temp.Path, false, false))!;
        Assert.That(error.Message, Does.Contain("interrupted run (last checkpoint at step 300)"));
    }

    [Test]
    public void ResumeFindsTheLatestCheckpoint()
    {
        using var temp = new TempFolder();
        var run = RunDirectory.Prepare(temp.Path, false, false);
        foreach (long step in new long[] { 900, 1000, 100 }) File.WriteAllText(run.CheckpointPath(step), "c");
        File.WriteAllText(Path.Combine(run.CheckpointsDirectory, "step-00002000.safetensors.tmp"), "partial");
        var resumed = RunDirectory.Prepare(temp.Path, resume: true, force: false);
        Assert.That(resumed.IsResume);
        Assert.That(resumed.LatestCheckpointStep(), Is.EqualTo(1000));
        Assert.That(resumed.LatestCheckpointPath(), Is.EqualTo(run.CheckpointPath(1000)));
    }

    [Test]
    public void ResumeWithoutCheckpointIsAnError()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<CmException>(() => RunDirectory.Prepare(temp.File("new"), resume: true, force: false))!;
        Assert.That(error.Message, Does.StartWith("--resume: no checkpoint to resume from"));
    }

    [Test]
    public void ForceDeletesOnlyTheRunFiles()
    {
        using var temp = new TempFolder();
        var run = RunDirectory.Prepare(temp.Path, false, false);
        File.WriteAllText(run.ModelPath, "m");
        File.WriteAllText(run.ModelJsonPath, "{}");
        File.WriteAllText(run.LogPath, "{}");
        File.WriteAllText(run.CheckpointPath(5), "c");
        File.WriteAllText(run.SampleGridPath(5), "png");
        File.WriteAllText(temp.File("notes.txt"), "mine");
        RunDirectory.Prepare(temp.Path, resume: false, force: true);
        Assert.That(Directory.EnumerateFiles(temp.Path, "*", SearchOption.AllDirectories).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "notes.txt" }));
    }

    [Test]
    public void ResumeAndForceExcludeEachOtherAndAFileIsNotAFolder()
    {
        using var temp = new TempFolder();
        Assert.Throws<CmException>(() => RunDirectory.Prepare(temp.Path, true, true));
        File.WriteAllText(temp.File("f"), "x");
        var error = Assert.Throws<CmException>(() => RunDirectory.Prepare(temp.File("f"), false, false))!;
        Assert.That(error.Message, Does.Contain("is a file"));
    }
}
