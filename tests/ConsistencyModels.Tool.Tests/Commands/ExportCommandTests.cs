using ConsistencyModels.IO;
using ConsistencyModels.Platform;
using TorchSharp;

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

    [Test]
    public void HalfPrecisionFileIsHalfTheSizeAndDenoisesLikeTheOriginal()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency, ["a", "b"]);
        string half = tmp.File("half.safetensors");
        var r = CliHarness.RunReal("export", "--format", "safetensors-f16", "--model", model, "--out", half);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("float16 weights"));
        Assert.That(File.Exists(tmp.File("half.json")), Is.True, "the metadata JSON is written beside it");

        var header = SafetensorsFile.ReadHeader(half);
        var floating = header.Tensors.Where(t => t.DType is SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16).ToArray();
        Assert.That(floating, Is.Not.Empty);
        Assert.That(floating.Select(t => t.DType), Is.All.EqualTo(SafetensorsDType.F16));
        Assert.That(new FileInfo(half).Length, Is.LessThan(0.6 * new FileInfo(model).Length));

        using var full = ModelFile.Load(model);
        using var halved = ModelFile.Load(half);
        Assert.That(halved.Metadata.ToJson(), Is.EqualTo(full.Metadata.ToJson()));
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var x = torch.randn(2, 3, 16, 16).Times(2.0);
        var labels = torch.tensor(new long[] { 0, 1 });
        using var noGrad = torch.no_grad();
        double relative = 0;
        foreach (double sigma in new[] { 2.0, 0.3 })
        {
            var a = full.AsDenoiser(labels)(x, sigma);
            var b = halved.AsDenoiser(labels)(x, sigma);
            relative = Math.Max(relative, (a - b).norm().item<float>() / a.norm().item<float>());
        }
        Assert.That(halved.Net.parameters().First().dtype, Is.EqualTo(torch.ScalarType.Float32), "loads as float32");
        Assert.That(relative, Is.GreaterThan(0).And.LessThan(1e-2), "float16 rounding moves the output, by little");
    }

    [Test]
    public void WeightBeyondHalfRangeIsRefusedInOneLine()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency);
        using (var loaded = ModelFile.Load(model))
        {
            using (torch.no_grad()) { using var big = 1e6.ToScalar(); loaded.Net.parameters().First().fill_(big); }
            ModelFile.Save(tmp.File("big.safetensors"), loaded.Model, loaded.Metadata);
        }
        var line = SingleError(CliHarness.RunReal("export", "--format", "safetensors-f16", "--model", tmp.File("big.safetensors"), "--out", tmp.File("h.safetensors")), 2);
        Assert.That(line, Does.Contain("beyond float16's range").And.Contain("float32"));
        Assert.That(File.Exists(tmp.File("h.safetensors")), Is.False);
    }

    [TestCase("--format", "tflite", "unknown --format")]
    [TestCase("--out", "x.pb", "--out must name a .onnx file")]
    [TestCase("--format", "safetensors-f16", "--out must name a .safetensors file")]
    public void BadArgumentsAreUsageErrors(string option, string value, string expected)
    {
        string[] args = ["export", "--format", "onnx", "--model", "m.safetensors", "--out", "m.onnx"];
        int at = Array.IndexOf(args, option);
        args[at + 1] = value;
        var line = SingleError(new CliHarness().Run(args), 2);
        Assert.That(line, Does.Contain(expected));
    }
}
