using ConsistencyModels.IO;
using ConsistencyModels.Tool.Commands;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><see cref="ModelChecks.LoadTeacher"/>: the one loader behind <c>distill --teacher</c>, <c>eval --teacher</c>
/// and <c>train-teacher --init</c>, and the same one-line refusals through each command.</summary>
public class ModelChecksTests : SingleThreadFixture
{
    [Test]
    public void LoadsATeacherAndRefusesEverythingElseNamingTheOption()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        File.WriteAllBytes(tmp.File("bad.safetensors"), [1, 2, 3]);

        using (var loaded = ModelChecks.LoadTeacher("--teacher", teacher))
            Assert.That(loaded.Kind, Is.EqualTo(ModelKind.Teacher));

        var kind = Assert.Throws<CmException>(() => ModelChecks.LoadTeacher("--init", student).Dispose())!;
        Assert.That(kind.Message, Is.EqualTo($"--init {student}: is a consistency model, expected a diffusion teacher from cm train-teacher"));
        Assert.That(kind.ExitCode, Is.EqualTo(ExitCodes.Usage));

        var corrupt = Assert.Throws<CmException>(() => ModelChecks.LoadTeacher("--teacher", tmp.File("bad.safetensors")).Dispose())!;
        Assert.That(corrupt.Message, Does.StartWith($"--teacher {tmp.File("bad.safetensors")}: "));

        var missing = Assert.Throws<CmException>(() => ModelChecks.LoadTeacher("--teacher", tmp.File("none.safetensors")).Dispose())!;
        Assert.That(missing.Message, Does.Contain("file not found, expected a model trained with cm train-teacher"));
    }

    [TestCase("distill")]
    [TestCase("eval")]
    public void AStudentGivenAsTeacherIsOneUsageLine(string command)
    {
        using var tmp = new TempFolder();
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        string[] args = command == "distill"
            ? ["distill", "--method", "cd", "--teacher", student, "--data", TestModels.DataFolder, "--out", tmp.File("run"), "--iters", "1"]
            : ["eval", "--model", student, "--data", TestModels.DataFolder, "--count", "4", "--size", "16", "--teacher", student];
        var r = CliHarness.RunReal(args);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Usage), r.Stderr);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.ErrorLines[0], Does.Contain($"--teacher {student}: is a consistency model, expected a diffusion teacher"));
        Assert.That(Directory.Exists(tmp.File("run")) && Directory.EnumerateFileSystemEntries(tmp.File("run")).Any(), Is.False, "nothing written");
    }
}
