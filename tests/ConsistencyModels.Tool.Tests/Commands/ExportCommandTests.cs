using ConsistencyModels.IO;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>cm export --format onnx</c> end to end (the numerical checks in ONNX Runtime are in ConsistencyModels.Onnx.Tests).</summary>
public class ExportCommandTests : SingleThreadFixture
{
    private static string SingleError(CliResult result, int code)
    {
        Assert.That(result.ExitCode, Is.EqualTo(code), result.Stderr + result.Stdout);
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.Not.Contain("   at "));
        return result.ErrorLines[0];
    }

    [Test]
    public void WritesAnOnnxFileWithThePlan()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency, ["a", "b"]);
        var r = CliHarness.RunReal("export", "--format", "onnx", "--model", model, "--out", tmp.File("m.onnx"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var bytes = File.ReadAllBytes(tmp.File("m.onnx"));
        Assert.That(Onnx.OnnxExporter.ReadMetadata(bytes).Keys, Is.SupersetOf(new[] { "cm.plan", "cm.metadata" }));
        Assert.That(Onnx.OnnxExporter.ReadOpTypes(bytes), Does.Contain("Pad"), "circular padding is exported as Pad wrap");
        Assert.That(r.Stdout, Does.Contain("consistency sampling"));
    }

    [Test]
    public void DiffusionTeacherIsRefusedInOneLine()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var line = SingleError(CliHarness.RunReal("export", "--format", "onnx", "--model", model, "--out", tmp.File("t.onnx")), 2);
        Assert.That(line, Does.Contain("diffusion teacher").And.Contain("cm distill"));
        Assert.That(File.Exists(tmp.File("t.onnx")), Is.False);
    }

    [Test]
    public void MissingModelIsOneLine()
    {
        using var tmp = new TempFolder();
        var line = SingleError(CliHarness.RunReal("export", "--format", "onnx", "--model", tmp.File("none.safetensors"), "--out", tmp.File("x.onnx")), 2);
        Assert.That(line, Does.Contain("none.safetensors").And.Contain("does not exist"));
    }

    [Test]
    public void CorruptModelIsOneLine()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("bad.safetensors"), [1, 2, 3]);
        var line = SingleError(CliHarness.RunReal("export", "--format", "onnx", "--model", tmp.File("bad.safetensors"), "--out", tmp.File("x.onnx")), 2);
        Assert.That(line, Does.Contain("bad.safetensors"));
    }

    [TestCase("--format", "tflite", "unknown --format")]
    [TestCase("--out", "x.pb", "--out must name a .onnx file")]
    public void BadArgumentsAreUsageErrors(string option, string value, string expected)
    {
        string[] args = ["export", "--format", "onnx", "--model", "m.safetensors", "--out", "m.onnx"];
        int at = Array.IndexOf(args, option);
        args[at + 1] = value;
        var line = SingleError(new CliHarness().Run(args), 2);
        Assert.That(line, Does.Contain(expected));
    }
}
