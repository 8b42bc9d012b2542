using ConsistencyModels.Tool.Runs;

namespace ConsistencyModels.Tool.Tests.Runs;

/// <summary>A kill during a write leaves hidden temporary files; the next start of that run removes them (only them).</summary>
public class LeftoverFileTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void TheNextStartRemovesLeftoverTemporaryFilesOnly(bool resume)
    {
        using var temp = new TempFolder();
        var run = RunDirectory.Prepare(temp.Path, false, false);
        File.WriteAllText(run.CheckpointPath(100), "c");
        string guid = Guid.NewGuid().ToString("N");
        string[] leftovers =
        [
            Path.Combine(run.CheckpointsDirectory, $".step-00000200.safetensors.{guid}.tmp"),
            Path.Combine(run.Root, $".model.safetensors.{guid}.tmp"),
            Path.Combine(run.Root, $".model.json.{guid}.tmp"),
            Path.Combine(run.Root, "log.jsonl.tmp"),
            Path.Combine(run.SamplesDirectory, "step-00000200.png.tmp"),
        ];
        string[] kept =
        [
            Path.Combine(run.Root, $".notes.txt.{guid}.tmp"), // not a file a run writes
            Path.Combine(run.Root, "draft.tmp"),
            Path.Combine(run.CheckpointsDirectory, ".step-00000200.safetensors.short.tmp"),
        ];
        foreach (var f in leftovers.Concat(kept)) File.WriteAllText(f, "partial");
        if (!resume) File.Delete(run.CheckpointPath(100));

        var lines = new List<string>();
        RunDirectory.Prepare(temp.Path, resume, force: false, info: lines.Add);

        Assert.That(leftovers.Where(File.Exists), Is.Empty);
        Assert.That(kept.All(File.Exists));
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(lines[0], Does.StartWith("removed 5 leftover temporary file(s) of an interrupted write: "));
        if (resume) Assert.That(File.Exists(run.CheckpointPath(100)));
    }

    [Test]
    public void AtomicTemporaryNamesAreRecognizedExactly()
    {
        string guid = Guid.NewGuid().ToString("N");
        Assert.That(RunInputs.IsAtomicTemporary($".model.safetensors.{guid}.tmp", "model.safetensors"));
        Assert.That(RunInputs.IsAtomicTemporary($".model.safetensors.{guid}.tmp", "model.json"), Is.False);
        Assert.That(RunInputs.IsAtomicTemporary($"model.safetensors.{guid}.tmp"), Is.False);
        Assert.That(RunInputs.IsAtomicTemporary($".model.safetensors.{guid.ToUpperInvariant()}.tmp"), Is.False);
        Assert.That(RunInputs.IsAtomicTemporary($".{guid}.tmp"), Is.False);
    }
}
