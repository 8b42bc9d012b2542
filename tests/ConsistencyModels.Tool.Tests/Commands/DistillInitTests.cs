using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>
/// <c>distill --init</c>: a student continued in a new run folder, e.g. the committed default model distilled further
/// against a newer teacher (issue 13), and <c>distill --compute</c>.
/// </summary>
public class DistillInitTests : SingleThreadFixture
{
    private static readonly string[] Classes = ["brick", "grass"];

    private static string[] Cd(string teacher, string data, string output, params string[] extra) =>
        ["distill", "--method", "cd", "--teacher", teacher, "--data", data, "--out", output, "--crop", "16", "--batch", "2", "--n", "4",
            "--sample-every", "0", "--log-every", "1", .. extra];

    [Test]
    public void InitStartsTheStudentFromTheFileAndCountsItsIterations()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        string teacher = TestModels.Save(tmp.File("teacher.safetensors"), ModelKind.Teacher, Classes, seed: 1);
        // A student with other weights than the teacher's (another seed), as a student that has trained would have.
        string student = TestModels.Save(tmp.File("student.safetensors"), ModelKind.Consistency, Classes, seed: 2);
        using (var loaded = ModelFile.Load(student))
            ModelFile.Save(student, loaded.Model, loaded.Metadata with { TrainingIterations = 7 });

        // A learning rate so small that one step cannot move the weights: the saved model is the start's weights. The
        // control (no --init) starts from the teacher, so the comparison can fail.
        string[] still = ["--iters", "1", "--lr", "1e-20"];
        var continued = CliHarness.RunReal(Cd(teacher, data, tmp.File("continued"), [.. still, "--init", student]));
        Assert.That(continued.ExitCode, Is.EqualTo(0), continued.Stderr + continued.Stdout);
        Assert.That(continued.Stdout, Does.Contain("the student starts from its weights (7 iterations"));
        var fresh = CliHarness.RunReal(Cd(teacher, data, tmp.File("fresh"), still));
        Assert.That(fresh.ExitCode, Is.EqualTo(0), fresh.Stderr + fresh.Stdout);

        string continuedModel = Path.Combine(tmp.File("continued"), "model.safetensors");
        double same = TestModels.WeightDifference(student, continuedModel);
        double control = TestModels.WeightDifference(student, Path.Combine(tmp.File("fresh"), "model.safetensors"));
        double fromTeacher = TestModels.WeightDifference(teacher, Path.Combine(tmp.File("fresh"), "model.safetensors"));
        TestContext.Out.WriteLine($"--init vs its file: {same:E2}; no --init vs that file: {control:E2}, vs the teacher: {fromTeacher:E2}");
        Assert.That(same, Is.LessThanOrEqualTo(1e-6));
        Assert.That(fromTeacher, Is.LessThanOrEqualTo(1e-6), "without --init the student is the teacher's copy");
        Assert.That(control, Is.GreaterThan(1e-2), "the control must differ, or the comparison proves nothing");
        Assert.That(ModelFile.ReadMetadata(continuedModel).TrainingIterations, Is.EqualTo(8), "7 iterations in the file + 1 in this run");
    }

    [Test]
    public void ATeacherAnotherNetworkOrOtherClassesAreRefused()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        string teacher = TestModels.Save(tmp.File("teacher.safetensors"), ModelKind.Teacher, Classes);
        string otherClasses = TestModels.Save(tmp.File("c.safetensors"), ModelKind.Consistency, ["brick", "moss"]);
        string otherNetwork = TestModels.Save(tmp.File("n.safetensors"), ModelKind.Consistency, Classes,
            config: TestModels.Config(2) with { BaseChannels = 16 });

        var cases = new (string Init, string Message)[]
        {
            (teacher, $"error: --init {teacher}: is a teacher model, expected a consistency model from cm distill (a student to continue)"),
            (otherClasses, $"error: --init {otherClasses}: its classes differ from the teacher's; the student copies the teacher's network and classes"),
            (otherNetwork, $"error: --init {otherNetwork}: its network differs from the teacher's; the student copies the teacher's network and classes"),
            (tmp.File("missing.safetensors"), $"error: --init {tmp.File("missing.safetensors")}: file not found, expected a consistency model made by cm distill"),
        };
        foreach (var (init, message) in cases)
        {
            var r = CliHarness.RunReal(Cd(teacher, data, tmp.File("run"), "--iters", "1", "--init", init));
            Assert.That(r.ExitCode, Is.Not.EqualTo(0), init);
            Assert.That(r.Stderr.Trim(), Is.EqualTo(message));
            Assert.That(Directory.Exists(Path.Combine(tmp.File("run"), "checkpoints")), Is.False, "nothing is trained before the check");
        }
    }

    [TestCase("ct")]
    [TestCase("progressive")]
    public void InitIsRefusedByMethodsThatDoNotTakeIt(string method)
    {
        using var tmp = new TempFolder();
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        string[] inputs = method == "ct" ? ["--data", tmp.Path] : ["--teacher", teacher, "--data", tmp.Path];
        var r = CliHarness.RunReal(["distill", "--method", method, .. inputs, "--out", tmp.File("o"), "--init", student]);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(r.Stderr.Trim(), Is.EqualTo($"error: --init does not apply to --method {method}; it applies to cd and direct-cd only"));
    }

    /// <summary>The loss of each logged step of a run's log.jsonl.</summary>
    private static double[] Losses(string run) =>
        File.ReadAllLines(Path.Combine(run, "log.jsonl"))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("loss").GetDouble()).ToArray();

    [Test]
    public void ComputeIsReportedAndBfloat16GivesNearlyTheFloat32Loss()
    {
        using var tmp = new TempFolder();
        string data = TestModels.ClassFolders(tmp);
        string teacher = TestModels.Save(tmp.File("teacher.safetensors"), ModelKind.Teacher, Classes);
        // The same seed draws the same crops, levels and noise; step 1 starts from the same weights, so its loss differs
        // only by the convolutions' rounding: close (bf16 keeps float32 accumulation) but not equal (else --compute did nothing).
        string[] steps = ["--iters", "1"];
        var fp32 = CliHarness.RunReal(Cd(teacher, data, tmp.File("fp32"), steps));
        var bf16 = CliHarness.RunReal(Cd(teacher, data, tmp.File("bf16"), [.. steps, "--compute", "bf16"]));
        Assert.That(fp32.ExitCode, Is.EqualTo(0), fp32.Stderr + fp32.Stdout);
        Assert.That(bf16.ExitCode, Is.EqualTo(0), bf16.Stderr + bf16.Stdout);
        Assert.That(fp32.Stdout, Does.Contain("convolutions fp32"));
        Assert.That(bf16.Stdout, Does.Contain("convolutions bf16"));
        double a = Losses(tmp.File("fp32"))[0], b = Losses(tmp.File("bf16"))[0];
        TestContext.Out.WriteLine($"step-1 loss: fp32 {a:G6}, bf16 {b:G6}, relative difference {Math.Abs(a - b) / a:E2}");
        Assert.That(b, Is.Not.EqualTo(a), "bf16 must change the rounding");
        Assert.That(Math.Abs(a - b) / a, Is.LessThan(0.05));
    }
}
