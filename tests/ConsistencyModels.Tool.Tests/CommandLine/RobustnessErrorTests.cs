using System.Runtime.InteropServices;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Tool.Commands;
using ConsistencyModels.Tool.Tests.Commands;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.CommandLine;

/// <summary>
/// Failures that used to be long, garbled or fatal: out of memory, native frame lists, decoder messages with control
/// characters, values that exhaust the machine, broken weights. Each is one clear line and a non-zero exit.
/// </summary>
public class RobustnessErrorTests : SingleThreadFixture
{
    private static string SingleError(CliResult result, int expectedCode)
    {
        Assert.That(result.ExitCode, Is.EqualTo(expectedCode), result.Stderr + result.Stdout);
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.ErrorLines[0], Does.StartWith("error: "));
        Assert.That(result.Stderr, Does.Not.Contain("   at ").And.Not.Contain("frame #"));
        Assert.That(result.ErrorLines[0].Any(char.IsControl), Is.False, "no control characters");
        return result.ErrorLines[0];
    }

    private static CliResult Throwing(Exception error)
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => throw error;
        return harness.Run("bench");
    }

    private static string Frames(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"\nframe #{i}: at::native::op{i}(at::Tensor const&) + 0x{i:x}4 (0x7f5800{i:x2} in libtorch_cpu.so)"));

    /// <summary>libtorch's CPU allocator message (as `cm sample --size 100000` produced it, 5 KB with 27 frames).</summary>
    [Test]
    public void LibtorchOutOfMemorySaysHowMuchAndWhatToShrink()
    {
        var line = SingleError(Throwing(new ExternalException(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 120000000000 bytes. "
            + "Error code 12 (Cannot allocate memory)" + Frames(27))), ExitCodes.Failure);
        Assert.That(line, Does.StartWith("error: out of memory: one tensor of 111.8 GiB was asked for, this machine has "));
        Assert.That(line, Does.Contain("use a smaller --size"));
        Assert.That(line.Length, Is.LessThan(300));
    }

    [Test]
    public void CudaOutOfMemorySaysHowMuch()
    {
        var line = SingleError(Throwing(new ExternalException(
            "CUDA out of memory. Tried to allocate 64.00 GiB (GPU 0; 139.8 GiB total capacity; 3.2 GiB already allocated)" + Frames(19))), ExitCodes.Failure);
        Assert.That(line, Does.StartWith("error: out of GPU memory: one tensor of 64.00 GiB was asked for; use a smaller --size"));
    }

    /// <summary>Frames never reach the line, whatever exception type carries them and wherever they start.</summary>
    [Test]
    public void NativeFramesNeverReachTheLine()
    {
        var line = SingleError(Throwing(new ArgumentException("shape '[2, 3]' is invalid for input of size 5" + Frames(20))), ExitCodes.Failure);
        Assert.That(line, Is.EqualTo("error: shape '[2, 3]' is invalid for input of size 5"));
        var internalLine = SingleError(Throwing(new ExternalException("something broke" + Frames(3))), ExitCodes.Internal);
        Assert.That(internalLine, Does.StartWith("error: internal error: ExternalException: something broke (run with --verbose"));
    }

    [Test]
    public void ControlCharactersAreStripped()
    {
        var line = SingleError(Throwing(new InvalidDataException("bad.png: unexpected end" + new string('\0', 30) + "\u001b[31m!")), ExitCodes.Failure);
        Assert.That(line, Is.EqualTo("error: bad.png: unexpected end [31m!"));
    }

    /// <summary>A real truncated PNG through the real handler: StbImageSharp's message ended in ~30 NUL bytes.</summary>
    [Test]
    public void TruncatedPngGivesACleanLine()
    {
        using var tmp = new TempFolder();
        var png = File.ReadAllBytes(Path.Combine(TestModels.DataFolder, "brick.png"));
        Directory.CreateDirectory(tmp.File("data"));
        File.WriteAllBytes(tmp.File("data/brick.png"), png.AsSpan(0, png.Length / 3).ToArray());
        var line = SingleError(CliHarness.RunReal("train-teacher", "--data", tmp.File("data"), "--out", tmp.File("run"), "--config", "tiny", "--iters", "1"),
            ExitCodes.Failure);
        Assert.That(line, Does.Contain("brick.png"));
        Assert.That(line.Contains('\0'), Is.False); // (a string "\0" would match anywhere: ICU ignores NUL)
        Assert.That(line, Does.Not.EndWith(":"));
        Assert.That(Directory.Exists(tmp.File("run")), Is.False, "no file touched");
    }

    [TestCase("bench", "--threads", "100000", "--threads must be between 1 and 256, got 100000")]
    [TestCase("bench", "--batch", "1000000", "--batch must be between 1 and 65536, got 1000000")]
    [TestCase("bench", "--frames", "2000000000", "--frames must be between 1 and 100000000, got 2000000000")]
    [TestCase("sample", "--steps", "100000000", "--steps must be between 1 and 10000, got 100000000")]
    public void ValuesThatExhaustTheMachineAreUsageErrors(string command, string option, string value, string expected)
    {
        string[] required = command == "sample" ? ["--model", "m.safetensors", "--out", "g.png"] : [];
        var harness = new CliHarness();
        var line = SingleError(harness.Run([command, .. required, option, value]), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: " + expected));
        Assert.That(harness.Handlers.Received, Is.Null, "refused before the command ran");
    }

    [Test]
    public void DistillGridPointsAndShardsAreBounded()
    {
        var n = SingleError(new CliHarness().Run("distill", "--method", "ict", "--data", "d", "--out", "o", "--n", "1000000000"), ExitCodes.Usage);
        Assert.That(n, Is.EqualTo("error: --n must be at most 100000, got 1000000000"));
        var shards = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", "--shards", "100000000"), ExitCodes.Usage);
        Assert.That(shards, Is.EqualTo("error: --shards must be between 0 and 4096, got 100000000"));
    }

    /// <summary>`cm sample --size 100000`: refused before allocating, with the amount and a size that fits.</summary>
    [Test]
    public void SampleSizeThatCannotFitIsRefusedBeforeAllocating()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "100000", "--count", "1"),
            ExitCodes.Usage);
        Assert.That(line, Does.Match(@"^error: --size 100000: 1 image\(s\) of 100000² need at least [\d.]+ TiB, more than this machine's [\d.]+ GiB of memory; try --size \d+ or smaller$"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(File.Exists(tmp.File("g.png")), Is.False);
    }

    /// <summary>`cm eval --size 512` on a model with attention: B·heads·(HW)² floats, refused up front.</summary>
    [Test]
    public void EvalSizeWhoseAttentionCannotFitIsRefused()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency, config: UNetConfig.Tiny);
        var line = SingleError(CliHarness.RunReal("eval", "--model", model, "--data", TestModels.DataFolder, "--size", "512", "--count", "16"),
            ExitCodes.Usage);
        // Tiny: attention at level 1 (256² = 65536 pixels, one head), batch 16: 16 · 65536² · 4 B = 256 GiB.
        Assert.That(line, Does.StartWith("error: --size 512: self-attention alone needs 256 GiB (B·heads·(HW)² floats for a batch of 16), more than this machine's"));
        Assert.That(line, Does.Match(@"try --size \d+ or smaller$"));
    }

    [Test]
    public void MemoryBudgetSuggestsASizeThatFits()
    {
        var config = UNetConfig.Tiny;
        var error = Assert.Throws<CmException>(() => MemoryBudget.Check("--size", 512, 16, config, heldImages: 0, totalBytes: 8L << 30))!;
        int suggested = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, @"try --size (\d+)").Groups[1].Value);
        Assert.That(UNetMemory.LowerBoundBytes(config, 16, suggested, suggested), Is.LessThanOrEqualTo(4L << 30));
        Assert.That(UNetMemory.LowerBoundBytes(config, 16, suggested + 2, suggested + 2), Is.GreaterThan(4L << 30));
        Assert.DoesNotThrow(() => MemoryBudget.Check("--size", suggested, 16, config, heldImages: 0, totalBytes: 8L << 30));
    }

    /// <summary>A model with a NaN weight used to sample to a PNG of 0/255 with exit 0.</summary>
    [Test]
    public void ModelWithNaNWeightsIsRefusedWithoutWritingAnything()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency);
        using (var content = Safetensors.Load(model))
        {
            var tensors = content.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
            var victim = tensors.Keys.First(k => k.EndsWith("weight", StringComparison.Ordinal));
            using var nan = float.NaN.ToScalar();
            tensors[victim].view(-1)[0].fill_(nan);
            Safetensors.Save(model, tensors, content.Metadata);
        }
        var line = SingleError(CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--size", "16", "--count", "1"), ExitCodes.Failure);
        Assert.That(line, Does.Contain("NaN or infinite"));
        Assert.That(File.Exists(tmp.File("g.png")), Is.False);
    }

    [Test]
    public void AFolderGivenAsModelIsCalledAFolder()
    {
        using var tmp = new TempFolder();
        var line = SingleError(CliHarness.RunReal("sample", "--model", tmp.Path, "--out", tmp.File("g.png")), ExitCodes.Failure);
        Assert.That(line, Does.Contain("is a folder"));
        var bench = SingleError(CliHarness.RunReal("bench", "--model", tmp.Path), ExitCodes.Failure);
        Assert.That(bench, Does.Contain("is a folder"));
    }
}
