using ConsistencyModels.Imaging;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Sampling;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>cm sample</c> end to end on tiny random-weight models.</summary>
public class SampleCommandTests : SingleThreadFixture
{
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }), "PNG signature");
        static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        return (BigEndian(bytes, 16), BigEndian(bytes, 20));
    }

    private static string SingleError(CliResult result, int code)
    {
        Assert.That(result.ExitCode, Is.EqualTo(code), result.Stderr + result.Stdout);
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.Not.Contain("   at "));
        return result.ErrorLines[0];
    }

    [Test]
    public void WritesAGridOfTheRightGeometry()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var r = CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--count", "5", "--size", "16",
            "--sampler", "euler", "--steps", "2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        // 5 samples → ⌈√5⌉ = 3 columns, 2 rows, 2 px padding around and between cells.
        Assert.That(PngSize(tmp.File("g.png")), Is.EqualTo((3 * 16 + 4 * 2, 2 * 16 + 3 * 2)));
        Assert.That(r.Stdout, Does.Contain("2 NFE per sample"));
        Assert.That(r.Stdout, Does.Contain("euler, 2 steps"));
    }

    [Test]
    public void TileShowsEachSampleTwoByTwo()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var r = CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--count", "4", "--size", "16",
            "--sampler", "euler", "--steps", "1", "--tile");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(PngSize(tmp.File("g.png")), Is.EqualTo((2 * 32 + 3 * 2, 2 * 32 + 3 * 2)));
        // The first cell (at 2, 2) repeats its 16×16 sample: the four quadrants are identical.
        using var image = ImageIO.Load(tmp.File("g.png"));
        using var cell = image[.., 2..34, 2..34];
        using var topLeft = cell[.., ..16, ..16];
        Assert.That(cell[.., ..16, 16..].eq(topLeft).all().item<bool>(), Is.True);
        Assert.That(cell[.., 16.., ..16].eq(topLeft).all().item<bool>(), Is.True);
        Assert.That(cell[.., 16.., 16..].eq(topLeft).all().item<bool>(), Is.True);
        Assert.That(topLeft.std().item<float>(), Is.GreaterThan(0), "the sample is not blank");
    }

    [Test]
    public void UnknownClassListsTheValidNames()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("c.safetensors"), ModelKind.Teacher, ["brick", "grass"]);
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16",
            "--class", "stone"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo($"error: --class 'stone' is not a class of {model}; valid names: brick, grass"));
        Assert.That(File.Exists(tmp.File("g.png")), Is.False);
    }

    [Test]
    public void ClassOnAnUnconditionalModelIsAnError()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16",
            "--class", "brick"), ExitCodes.Usage);
        Assert.That(line, Does.Contain("is unconditional"));
    }

    [Test]
    public void KnownClassGeneratesLabelledCells()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("c.safetensors"), ModelKind.Teacher, ["brick", "grass"]);
        var r = CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16", "--count", "2",
            "--class", "GRASS", "--sampler", "euler", "--steps", "1");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        // Conditional grids carry a 7-px label line above each cell.
        Assert.That(PngSize(tmp.File("g.png")), Is.EqualTo((2 * 16 + 3 * 2, 16 + 7 + 2 * 2)));
    }

    [Test]
    public void ConsistencySamplerOnATeacherIsOneLine()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16",
            "--sampler", "consistency"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith($"error: --sampler consistency needs a consistency model, but {model} is a teacher"));
    }

    [Test]
    public void OdeSamplerOnAConsistencyModelIsOneLine()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16",
            "--sampler", "heun"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith($"error: --sampler heun does not apply to {model}: it is a consistency model"));
    }

    [Test]
    public void SizeNotDivisibleByTheDownsamplingIsOneLine()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "15"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo($"error: --size 15 does not fit {model}: expected a positive multiple of 2 (the network's downsampling), e.g. 16"));
    }

    [Test]
    public void OutFolderWritesOnePngPerTextureEqualToTheGridCells()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        string[] common = ["--model", model, "--size", "16", "--count", "3", "--steps", "1", "--seed", "4"];
        var grid = CliHarness.RunReal(["sample", .. common, "--out", tmp.File("g.png")]);
        Assert.That(grid.ExitCode, Is.EqualTo(0), grid.Stderr);
        string folder = tmp.File("textures") + "/";
        var files = CliHarness.RunReal(["sample", .. common, "--out", folder]);
        Assert.That(files.ExitCode, Is.EqualTo(0), files.Stderr);
        var written = Directory.GetFiles(folder, "*.png").Select(Path.GetFileName).Order().ToArray();
        Assert.That(written, Has.Length.EqualTo(3));
        Assert.That(written[0], Does.StartWith("sample-0000"));
        Assert.That(files.Stdout, Does.Contain("wrote 3 PNGs of 16×16"));
        // Texture i is the grid's cell i (same seed, same sampling): cells sit at 2 + i·18 px.
        using var gridImage = ImageIO.Load(tmp.File("g.png"));
        for (int i = 0; i < 3; i++)
        {
            using var file = ImageIO.Load(Path.Combine(folder, written[i]!));
            int x = 2 + (i % 2) * 18, y = 2 + (i / 2) * 18;
            using var cell = gridImage[.., y..(y + 16), x..(x + 16)];
            Assert.That(file.shape, Is.EqualTo(new long[] { 3, 16, 16 }));
            Assert.That(file.eq(cell).all().item<bool>(), Is.True, $"texture {i} equals grid cell {i}");
        }
    }

    [Test]
    public void PrecisionBf16SamplesAndFp32IsTheDefault()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        string[] common = ["--model", model, "--size", "16", "--count", "2", "--steps", "1"];
        var fp32 = CliHarness.RunReal(["sample", .. common, "--out", tmp.File("a.png")]);
        var fp32Again = CliHarness.RunReal(["sample", .. common, "--out", tmp.File("b.png"), "--precision", "fp32"]);
        var bf16 = CliHarness.RunReal(["sample", .. common, "--out", tmp.File("c.png"), "--precision", "bf16"]);
        Assert.That((fp32.ExitCode, fp32Again.ExitCode, bf16.ExitCode), Is.EqualTo((0, 0, 0)), bf16.Stderr);
        Assert.That(File.ReadAllBytes(tmp.File("b.png")), Is.EqualTo(File.ReadAllBytes(tmp.File("a.png"))), "fp32 is the default");
        using var a = ImageIO.Load(tmp.File("a.png"));
        using var c = ImageIO.Load(tmp.File("c.png"));
        Assert.That(c.sub(a).abs().max().item<float>(), Is.LessThan(0.25f), "bf16 is close to fp32");
        var bad = CliHarness.RunReal(["sample", .. common, "--out", tmp.File("d.png"), "--precision", "fp16"]);
        Assert.That(bad.ExitCode, Is.Not.EqualTo(0));
    }

    [Test]
    public void ConsistencyModelSamplesWithItsDefaults()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var r = CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16", "--count", "3", "--steps", "2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("consistency, 2 steps (2 NFE)"));
        Assert.That(PngSize(tmp.File("g.png")), Is.EqualTo((2 * 16 + 3 * 2, 2 * 16 + 3 * 2)));
    }

    [Test]
    public void BatchedGenerationStartsLikeOneCall()
    {
        using var tmp = new TempFolder();
        using var loaded = ModelFile.Load(TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency));
        using var once = ModelSampler.Generate(loaded.Model, loaded.Metadata, SamplerKind.Consistency, 1, 4, 16, 16, null, 7);
        using var batched = ModelSampler.GenerateBatched(loaded.Model, loaded.Metadata, SamplerKind.Consistency, 1, 10, 16, 16, null, 7, batchSize: 4);
        Assert.That(batched.shape, Is.EqualTo(new long[] { 10, 3, 16, 16 }));
        Assert.That(batched[..4].eq(once).all().item<bool>(), Is.True, "batch 0 uses the seed itself");
        Assert.That(batched[4..8].eq(once).all().item<bool>(), Is.False, "later batches use other seeds");
        using var again = ModelSampler.GenerateBatched(loaded.Model, loaded.Metadata, SamplerKind.Consistency, 1, 10, 16, 16, null, 7, batchSize: 4);
        Assert.That(again.eq(batched).all().item<bool>(), Is.True);
    }
}
