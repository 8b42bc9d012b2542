using System.Diagnostics;
using System.Text.Json;
using StbImageSharp;

namespace ConsistencyModels.Runtime.Tests.Viewer;

/// <summary>Runs the built TextureViewer as a process: windowed under xvfb-run, and headless.</summary>
public class ViewerProcessTests
{
    private string workDir = null!;

    [SetUp]
    public void CreateWorkDir()
    {
        workDir = Path.Combine(Path.GetTempPath(), "cm-viewer-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workDir);
    }

    [TearDown]
    public void DeleteWorkDir() => Directory.Delete(workDir, recursive: true);

    private static string ViewerDll()
    {
        // tests/ConsistencyModels.Runtime.Tests/bin/<Configuration>/net10.0/ → repo root → the viewer's output.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ConsistencyModels.sln"))) root = root.Parent;
        Assert.That(root, Is.Not.Null, "repository root (ConsistencyModels.sln) not found above the test output");
        var dll = Path.Combine(root!.FullName, "samples", "TextureViewer", "bin", configuration, output.Name, "TextureViewer.dll");
        Assert.That(File.Exists(dll), Is.True, $"viewer not built at {dll}");
        return dll;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, string workingDirectory, bool removeDisplay = false)
    {
        var info = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (removeDisplay) info.Environment.Remove("DISPLAY");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("viewer did not finish within 2 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static double LuminanceStdDev(ImageResult image)
    {
        double sum = 0, sumSq = 0;
        var n = image.Width * image.Height;
        for (var i = 0; i < n; i++)
        {
            var y = 0.299 * image.Data[4 * i] + 0.587 * image.Data[4 * i + 1] + 0.114 * image.Data[4 * i + 2];
            sum += y;
            sumSq += y * y;
        }
        var mean = sum / n;
        return Math.Sqrt(Math.Max(0, sumSq / n - mean * mean));
    }

    /// <summary>
    /// How a screenshot shows a textured plane, whatever the texture's contrast: the share of pixels that differ
    /// from the clear colour (read at the top-left corner), and the mean luminance step between horizontal
    /// neighbours that both lie on the plane (near 0 for a flat fill or smooth shading, larger for a texture).
    /// </summary>
    private static (double Coverage, double Detail) PlaneCoverageAndDetail(ImageResult image)
    {
        int w = image.Width, h = image.Height;
        var d = image.Data;
        bool OnPlane(int x, int y)
        {
            int i = 4 * (y * w + x);
            return Math.Abs(d[i] - d[0]) + Math.Abs(d[i + 1] - d[1]) + Math.Abs(d[i + 2] - d[2]) > 12;
        }
        double Luma(int x, int y) { int i = 4 * (y * w + x); return 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; }
        long covered = 0, pairs = 0;
        double steps = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (!OnPlane(x, y)) continue;
                covered++;
                if (x + 1 < w && OnPlane(x + 1, y)) { steps += Math.Abs(Luma(x + 1, y) - Luma(x, y)); pairs++; }
            }
        return (covered / (double)(w * h), pairs == 0 ? 0 : steps / pairs);
    }

    private static ImageResult LoadPng(string path)
    {
        using var stream = File.OpenRead(path);
        return ImageResult.FromStream(stream, ColorComponents.RedGreenBlueAlpha);
    }

    [TestCase("auto")]
    [TestCase("gl")]
    public void WindowedViewerUnderXvfbShowsATexturedImage(string backend)
    {
        var xvfbRun = FindOnPath("xvfb-run");
        if (xvfbRun is null)
        {
            const string reason = "xvfb-run not installed (apt-get install xvfb xauth)";
            if (GlRequirement.Required) Assert.Fail(reason + " (CM_REQUIRE_GL=1)");
            Assert.Ignore(reason);
        }
        var shot = Path.Combine(workDir, "shot.png");
        var (exit, output) = Run(xvfbRun!, ["-a", "-s", "-screen 0 1024x768x24", "dotnet", ViewerDll(), "--backend", backend, "--frames", "6", "--size", "64", "--screenshot", shot], workDir);

        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("window: OpenGL"), "it ran in windowed mode, not a fallback");
        Assert.That(output, Does.Contain("source: "));
        if (backend == "gl") Assert.That(output, Does.Contain("backend: gl"));
        Assert.That(File.Exists(shot), Is.True, output);
        var image = LoadPng(shot);
        Assert.That((image.Width, image.Height), Is.EqualTo((960, 640)));
        // The plane covers a good part of the frame, and it carries a texture, not a flat fill. (Overall luminance
        // variance would depend on the class: the default model's first class, Leather, is dark and fine-grained.)
        var (coverage, detail) = PlaneCoverageAndDetail(image);
        TestContext.Out.WriteLine($"plane coverage {coverage:P1}, mean neighbour luminance step {detail:F2}");
        Assert.That(coverage, Is.GreaterThan(0.2), output);
        Assert.That(detail, Is.GreaterThan(1.5), output);
    }

    [Test]
    public void GlBackendRendersTheDefaultModelHeadless()
    {
        var outDir = Path.Combine(workDir, "out");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--headless", "--backend", "gl", "--frames", "6", "--size", "32", "--out", outDir], workDir, removeDisplay: true);
        if (!GlRequirement.Required && output.Contains("needs OpenGL")) Assert.Ignore(output);
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("backend: gl (the model in compute shaders"));
        Assert.That(output, Does.Contain("GL compute fp32"));
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        Assert.That(stats.RootElement.GetProperty("backend").GetString(), Is.EqualTo("gl"));
        Assert.That(stats.RootElement.GetProperty("texturesShown").GetInt64(), Is.GreaterThan(0));
        var texture = LoadPng(Path.Combine(outDir, "texture.png"));
        Assert.That((texture.Width, texture.Height), Is.EqualTo((32, 32)));
        Assert.That(LuminanceStdDev(texture), Is.GreaterThan(3), "a texture, not the grey placeholder");
    }

    [Test]
    public void AutoBackendPicksLibtorchOnASoftwareRenderer()
    {
        var modelPath = TestModels.Save(Path.Combine(workDir, "model"), TestModels.Metadata());
        var (exit, output) = Run("dotnet", [ViewerDll(), "--headless", "--model", modelPath, "--frames", "2", "--size", "16", "--out", Path.Combine(workDir, "out")],
            workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(0), output);
        if (output.Contains("llvmpipe") || output.Contains("softpipe"))
            Assert.That(output, Does.Contain("backend: torch (auto: "));
    }

    [Test]
    public void BackendOptionErrorsAreOneLine()
    {
        var (exit, output) = Run("dotnet", [ViewerDll(), "--backend", "cuda"], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output.Trim(), Is.EqualTo("error: --backend expects gl, torch or auto, got 'cuda'."));
        (exit, output) = Run("dotnet", [ViewerDll(), "--backend", "gl", "--cpu"], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output.Trim(), Is.EqualTo("error: --backend gl runs the model in OpenGL compute shaders; it cannot be combined with --cpu."));
    }

    [Test]
    public void HeadlessViewerWritesPngsAndStats()
    {
        var outDir = Path.Combine(workDir, "out");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--headless", "--procedural", "--frames", "8", "--size", "32", "--out", outDir], workDir, removeDisplay: true);

        Assert.That(exit, Is.EqualTo(0), output);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        var mode = stats.RootElement.GetProperty("mode").GetString();
        if (GlRequirement.Required) Assert.That(mode, Is.EqualTo("headless-egl"), output);
        Assert.That(stats.RootElement.GetProperty("frames").GetInt32(), Is.EqualTo(8));
        Assert.That(stats.RootElement.GetProperty("source").GetString(), Does.StartWith("procedural"));
        var sheet = LoadPng(Path.Combine(outDir, "contact_sheet.png"));
        Assert.That(LuminanceStdDev(sheet), Is.GreaterThan(20));
        if (mode == "headless-egl")
        {
            var texture = LoadPng(Path.Combine(outDir, "texture.png"));
            Assert.That((texture.Width, texture.Height), Is.EqualTo((32, 32)));
            Assert.That(File.Exists(Path.Combine(outDir, "frame_007.png")), Is.True);
        }
    }

    /// <summary>
    /// The viewer's resident memory is flat over a long headless run once warmed up: it used to grow by one
    /// 512×384 readback per contact-sheet capture (9 MB over any long run, "still rising"), and tiered JIT's
    /// on-stack replacement of the frame loop added a few MB after ~10 000 frames. Unpaced (--fps 0) so 12 000
    /// frames take seconds.
    /// </summary>
    [Test]
    public void HeadlessViewerMemoryIsFlatAfterWarmup()
    {
        var outDir = Path.Combine(workDir, "out");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--headless", "--procedural", "--fps", "0", "--frames", "12000", "--size", "32", "--out", outDir],
            workDir, removeDisplay: true);

        Assert.That(exit, Is.EqualTo(0), output);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        if (stats.RootElement.GetProperty("mode").GetString() != "headless-egl")
        {
            if (GlRequirement.Required) Assert.Fail("headless EGL unavailable (CM_REQUIRE_GL=1): " + output);
            Assert.Ignore("headless EGL unavailable");
        }
        var memory = stats.RootElement.GetProperty("memory");
        var samples = memory.GetProperty("samples");
        TestContext.Out.WriteLine($"RSS after warm-up {memory.GetProperty("rssAfterWarmupMB")} MB, end {memory.GetProperty("rssEndMB")} MB, "
            + $"max deviation {memory.GetProperty("maxDeviationAfterWarmupPercent")} %, {samples.GetArrayLength()} samples");
        Assert.That(samples.GetArrayLength(), Is.GreaterThan(100));
        Assert.That(memory.GetProperty("maxDeviationAfterWarmupPercent").GetDouble(), Is.LessThan(2.0), output);
        // The frame loop allocates nothing managed: the managed heap is the same at the first and last sample.
        var first = samples[0][2].GetDouble();
        var last = samples[samples.GetArrayLength() - 1][2].GetDouble();
        Assert.That(last - first, Is.LessThan(0.5), "managed MB grew during the run");
    }

    [Test]
    public void CpuFallbackStillWritesTexturesAndSaysWhatToInstall()
    {
        var outDir = Path.Combine(workDir, "out");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--cpu", "--procedural", "--frames", "5", "--size", "16", "--out", outDir], workDir, removeDisplay: true);

        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri"));
        var texture = LoadPng(Path.Combine(outDir, "texture_000.png"));
        Assert.That((texture.Width, texture.Height), Is.EqualTo((16, 16)));
        // The PNG is the documented mapping of the procedural texture for the same request.
        using var source = new ProceduralTextureSource();
        var planar = new float[3 * 16 * 16];
        source.Generate(new TextureRequest(16, 16, 0, 1, 1, 0), planar);
        var expected = new byte[4 * 16 * 16];
        PlanarTextureConversion.ToRgba8(planar, 16, 16, expected);
        Assert.That(texture.Data, Is.EqualTo(expected).AsCollection);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        Assert.That(stats.RootElement.GetProperty("mode").GetString(), Is.EqualTo("cpu-only"));
    }

    [Test]
    public void ModelFileDrivesTheTexturesAndItsClassNamesAreListed()
    {
        var modelPath = TestModels.Save(Path.Combine(workDir, "model"), TestModels.Metadata());
        var outDir = Path.Combine(workDir, "out");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--cpu", "--model", modelPath, "--class", "water", "--steps", "2", "--frames", "1", "--size", "16", "--out", outDir], workDir, removeDisplay: true);

        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("source: model tiny.safetensors"));
        Assert.That(output, Does.Contain("classes (Left/Right): Stone, Fabric, Water"));
        // Frame 0 is phase 0: the generator's texture for the same request, through the documented mapping.
        using var generator = new TextureGenerator(modelPath, TorchSharp.torch.CPU);
        var planar = new float[3 * 16 * 16];
        generator.Generate(new TextureRequest(16, 16, 2, 2, 1, 0), planar);
        var expected = new byte[4 * 16 * 16];
        PlanarTextureConversion.ToRgba8(planar, 16, 16, expected);
        Assert.That(LoadPng(Path.Combine(outDir, "texture_000.png")).Data, Is.EqualTo(expected).AsCollection);
    }

    [Test]
    public void WithoutTheEmbeddedModelTheViewerFallsBackToProceduralAndSaysWhy()
    {
        if (TextureGenerator.HasDefaultModel) Assert.Ignore("this build embeds the default model");
        var (exit, output) = Run("dotnet", [ViewerDll(), "--cpu", "--frames", "1", "--size", "16", "--out", Path.Combine(workDir, "out")], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("falling back to the procedural source").And.Contain("default model is not embedded"));
        Assert.That(output, Does.Contain("source: procedural"));
    }

    [Test]
    public void BadModelFileAndSizeGiveOneLineErrors()
    {
        var (exit, output) = Run("dotnet", [ViewerDll(), "--model", Path.Combine(workDir, "missing.safetensors")], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output.Trim(), Does.StartWith("error: --model: file").And.EndWith("not found."));
        var modelPath = TestModels.Save(Path.Combine(workDir, "model"), TestModels.Metadata());
        (exit, output) = Run("dotnet", [ViewerDll(), "--cpu", "--model", modelPath, "--size", "15"], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output.Trim(), Is.EqualTo("error: --size: 15 is not a multiple of the model's downsampling factor 2 (try 14)."));
    }

    [Test]
    public void BadArgumentGivesOneLineErrorAndExitCode2()
    {
        var (exit, output) = Run("dotnet", [ViewerDll(), "--steps", "3"], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output.Trim(), Is.EqualTo("error: --steps expects an integer in [1, 2], got '3'."));
    }

    [Test]
    public void AFolderGivenAsModelIsCalledAFolder()
    {
        var (exit, output) = Run("dotnet", [ViewerDll(), "--cpu", "--model", workDir], workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(2), output);
        Assert.That(output.Trim(), Is.EqualTo($"error: --model: '{workDir}' is a directory, expected a .safetensors model file."));
    }

    /// <summary>
    /// An output folder that cannot be written (here: its parent is a file, which holds for root too) used to abort
    /// with exit 134 and an unhandled IOException; now it is one line and exit 1, in every mode.
    /// </summary>
    [TestCase("--headless")]
    [TestCase("--cpu")]
    public void AnUnwritableOutputFolderIsOneLineNotACrash(string mode)
    {
        var blocker = Path.Combine(workDir, "not-a-folder");
        File.WriteAllText(blocker, "a file");
        var (exit, output) = Run("dotnet", [ViewerDll(), mode, "--procedural", "--frames", "2", "--size", "16", "--out", Path.Combine(blocker, "out")],
            workDir, removeDisplay: true);
        Assert.That(exit, Is.EqualTo(1), output);
        var errors = output.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), output);
        Assert.That(errors[0], Does.Contain("not-a-folder"));
        Assert.That(output, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at "));
    }
}
