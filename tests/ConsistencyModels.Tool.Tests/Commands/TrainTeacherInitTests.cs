using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.IO;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>
/// <c>train-teacher --init</c>: a teacher continued in a new run folder (issue 13: a teacher committed to the repository
/// continues in a later session from its EMA weights).
/// </summary>
public class TrainTeacherInitTests : SingleThreadFixture
{
    private static string[] Train(string data, string output, params string[] extra) =>
        ["train-teacher", "--data", data, "--out", output, "--crop", "16", "--batch", "2",
            "--sample-every", "0", "--log-every", "1", .. extra];

    private static int Run(string[] args, out string errors)
    {
        var stderr = new StringWriter();
        int code = Cli.Run(args, new StringWriter(), stderr);
        errors = stderr.ToString();
        return code;
    }

    [Test]
    public void InitStartsFromTheFilesWeightsAndCountsItsIterations()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        Assert.That(Run(Train(data, tmp.File("first"), "--iters", "3", "--config", "tiny"), out var e1), Is.EqualTo(0), e1);
        string first = Path.Combine(tmp.File("first"), "model.safetensors");

        // A learning rate so small that one step cannot move the weights: the result is the file's weights, whatever
        // the seed; a fresh run with the same seed (the control) starts elsewhere, so the comparison can fail.
        string[] still = ["--iters", "1", "--lr", "1e-20", "--warmup", "0", "--seed", "5"];
        Assert.That(Run(Train(data, tmp.File("continued"), [.. still, "--init", first]), out var e2), Is.EqualTo(0), e2);
        Assert.That(Run(Train(data, tmp.File("fresh"), [.. still, "--config", "tiny"]), out var e3), Is.EqualTo(0), e3);
        string continued = Path.Combine(tmp.File("continued"), "model.safetensors");
        double same = TestModels.WeightDifference(first, continued), fresh = TestModels.WeightDifference(first, Path.Combine(tmp.File("fresh"), "model.safetensors"));
        TestContext.Out.WriteLine($"--init vs its file: {same:E2}; a fresh run vs the file: {fresh:E2}");
        Assert.That(same, Is.LessThanOrEqualTo(1e-6));
        Assert.That(fresh, Is.GreaterThan(1e-2), "the control must differ, or the comparison proves nothing");

        var metadata = ModelFile.ReadMetadata(continued);
        Assert.That(metadata.TrainingIterations, Is.EqualTo(4), "3 iterations in the file + 1 in this run");
        Assert.That(metadata.Config, Is.EqualTo(ModelFile.ReadMetadata(first).Config));
    }

    [TestCase("--mults", "1,2,2")]
    [TestCase("--config", "small")]
    [TestCase("--attention", "none")]
    public void NetworkOptionsAreRefusedWithInit(string option, string value)
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher, ["brick", "grass"]);
        int code = Run(["train-teacher", "--data", tmp.Path, "--out", tmp.File("o"), "--init", teacher, option, value], out var errors);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(errors.Trim(), Is.EqualTo($"error: {option} cannot be combined with --init: the network is the one in {teacher}"));
    }

    [Test]
    public void AStudentOrOtherClassesAreRefused()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency, ["brick", "grass"]);
        string otherClasses = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher, ["brick", "moss"]);
        string unconditional = TestModels.Save(tmp.File("u.safetensors"), ModelKind.Teacher);

        Assert.That(Run(Train(data, tmp.File("a"), "--iters", "1", "--init", student), out var e1), Is.EqualTo(ExitCodes.Usage));
        Assert.That(e1.Trim(), Does.StartWith("error: --init ").And.Contain("expected a diffusion teacher"));
        Assert.That(Run(Train(data, tmp.File("b"), "--iters", "1", "--init", otherClasses), out var e2), Is.EqualTo(ExitCodes.Usage));
        Assert.That(e2.Trim(), Does.Contain("class 1 is 'moss' in the model but 'grass' in --data"));
        Assert.That(Run(Train(data, tmp.File("c"), "--iters", "1", "--init", unconditional), out var e3), Is.EqualTo(ExitCodes.Usage));
        Assert.That(e3.Trim(), Does.Contain("the model has 0 classes but --data gives 2"));
        Assert.That(Run(Train(data, tmp.File("d"), "--iters", "1", "--init", tmp.File("missing.safetensors")), out var e4), Is.Not.EqualTo(0));
        Assert.That(e4.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(e4, Does.Not.Contain("   at "));
    }
}
