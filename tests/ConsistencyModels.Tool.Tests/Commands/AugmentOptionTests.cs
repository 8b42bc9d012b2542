using ConsistencyModels.IO;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>--augment</c> of train-teacher and distill: recorded in the model, followed by the student.</summary>
public class AugmentOptionTests : SingleThreadFixture
{
    [Test]
    public void TheTeachersAugmentationIsRecordedAndTheStudentFollowsIt()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        var t = CliHarness.RunReal(["train-teacher", "--data", data, "--out", tmp.File("teacher"), "--config", "tiny", "--crop", "16", "--batch", "2",
            "--iters", "1", "--sample-every", "0", "--augment", "flips"]);
        Assert.That(t.ExitCode, Is.EqualTo(0), t.Stderr + t.Stdout);
        Assert.That(t.Stdout, Does.Contain("augmentation flips"));
        string teacher = Path.Combine(tmp.File("teacher"), "model.safetensors");
        Assert.That(ModelFile.ReadMetadata(teacher).Augmentation, Is.EqualTo(CropAugmentation.Flips));

        string[] cd = ["distill", "--method", "cd", "--teacher", teacher, "--data", data, "--crop", "16", "--batch", "2", "--n", "4",
            "--iters", "1", "--sample-every", "0"];
        var follows = CliHarness.RunReal([.. cd, "--out", tmp.File("student")]);
        Assert.That(follows.ExitCode, Is.EqualTo(0), follows.Stderr + follows.Stdout);
        Assert.That(ModelFile.ReadMetadata(Path.Combine(tmp.File("student"), "model.safetensors")).Augmentation, Is.EqualTo(CropAugmentation.Flips));
        var given = CliHarness.RunReal([.. cd, "--out", tmp.File("none"), "--augment", "none"]);
        Assert.That(given.ExitCode, Is.EqualTo(0), given.Stderr + given.Stdout);
        Assert.That(ModelFile.ReadMetadata(Path.Combine(tmp.File("none"), "model.safetensors")).Augmentation, Is.EqualTo(CropAugmentation.None));
    }

    [Test]
    public void RectifiedReadsNoImagesAndRefusesIt()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var r = CliHarness.RunReal(["distill", "--method", "rectified", "--teacher", teacher, "--out", tmp.File("o"), "--augment", "flips"]);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(r.Stderr.Trim(), Is.EqualTo("error: --augment does not apply to --method rectified: it reads no training images"));
    }

    [Test]
    public void AnUnknownAugmentationIsAUsageError()
    {
        var r = CliHarness.RunReal(["train-teacher", "--data", ".", "--out", "o", "--augment", "spin"]);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(r.Stderr, Does.Contain("dihedral").And.Contain("flips").And.Contain("none"));
        Assert.That(r.Stderr, Does.Not.Contain("   at "));
    }
}
