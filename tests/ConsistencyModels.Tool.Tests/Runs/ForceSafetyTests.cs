using ConsistencyModels.IO;
using ConsistencyModels.Tool.Runs;
using ConsistencyModels.Tool.Tests.Commands;

namespace ConsistencyModels.Tool.Tests.Runs;

/// <summary>--force never deletes what the command is about to read, and names what it deletes.</summary>
public class ForceSafetyTests : SingleThreadFixture
{
    private static string SingleError(CliResult result, int expectedCode)
    {
        Assert.That(result.ExitCode, Is.EqualTo(expectedCode), result.Stderr + result.Stdout);
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.Not.Contain("   at "));
        return result.ErrorLines[0];
    }

    /// <summary>The reported data loss: `distill --teacher DIR/model.safetensors --out DIR --force` deleted the teacher.</summary>
    [Test]
    public void DistillForceRefusesAnOutFolderHoldingTheTeacher()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("model.safetensors"), ModelKind.Teacher);
        byte[] before = File.ReadAllBytes(teacher);
        var line = SingleError(CliHarness.RunReal("distill", "--method", "cd", "--teacher", teacher, "--data", TestModels.DataFolder,
            "--out", tmp.Path, "--force", "--iters", "1", "--batch", "1", "--crop", "8"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo($"error: --force would delete the run in --out {tmp.Path}, which holds --teacher {teacher} that this command reads; choose another --out folder"));
        Assert.That(File.ReadAllBytes(teacher), Is.EqualTo(before), "the teacher is untouched");
        Assert.That(File.Exists(tmp.File("model.json")), "its JSON too");
    }

    [Test]
    public void ForceRefusesAnOutFolderThatIsInsideOrIsTheData()
    {
        using var tmp = new TempFolder();
        string data = tmp.File("data");
        Directory.CreateDirectory(Path.Combine(data, "samples"));
        File.Copy(Path.Combine(TestModels.DataFolder, "brick.png"), Path.Combine(data, "samples", "step-00000001.png"));
        foreach (string output in new[] { data, Path.Combine(data, "run") })
        {
            var line = SingleError(CliHarness.RunReal("train-teacher", "--data", data, "--out", output, "--force", "--config", "tiny",
                "--crop", "8", "--iters", "1"), ExitCodes.Usage);
            Assert.That(line, Does.StartWith($"error: --force would delete the run in --out {output}, which ").And.Contain($"--data {data}"));
        }
        Assert.That(File.Exists(Path.Combine(data, "samples", "step-00000001.png")), "a data image named like a sample grid is kept");
    }

    [Test]
    public void ForceRefusesALinkToTheTeachersFolder()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("teacher"));
        string teacher = TestModels.Save(tmp.File("teacher/model.safetensors"), ModelKind.Teacher);
        Directory.CreateSymbolicLink(tmp.File("link"), tmp.File("teacher"));
        var error = Assert.Throws<CmException>(() => RunDirectory.Prepare(tmp.File("link"), resume: false, force: true, [("--teacher", teacher)]))!;
        Assert.That(error.Message, Does.Contain("which holds --teacher"));
        Assert.That(File.Exists(teacher));
    }

    [Test]
    public void ForceInAnUnrelatedFolderNamesEveryFileItDeletesAndKeepsTheRest()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("teacher.safetensors"), ModelKind.Teacher);
        string outDir = tmp.File("run");
        var run = RunDirectory.Prepare(outDir, false, false);
        File.WriteAllText(run.ModelPath, "m");
        File.WriteAllText(run.LogPath, "{}");
        File.WriteAllText(run.PairsPath, "p");
        File.WriteAllText(run.CheckpointPath(100), "c");
        File.WriteAllText(run.SampleGridPath(100), "g");
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "mine");
        var lines = new List<string>();
        RunDirectory.Prepare(outDir, resume: false, force: true, [("--teacher", teacher)], lines.Add);
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(lines[0], Is.EqualTo($"--force: deleting the old run in {outDir}: model.safetensors, log.jsonl, pairs.safetensors, "
            + $"{Path.Combine("checkpoints", "step-00000100.safetensors")}, {Path.Combine("samples", "step-00000100.png")}"));
        Assert.That(File.Exists(run.ModelPath) || File.Exists(run.PairsPath) || File.Exists(run.CheckpointPath(100)), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(outDir, "notes.txt")), Is.EqualTo("mine"));
        Assert.That(File.Exists(teacher));
    }
}
