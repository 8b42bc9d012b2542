using ConsistencyModels.Losses;
using ConsistencyModels.Training;
using ConsistencyModels.Naming;
using ConsistencyModels.Tool.Distill;
namespace ConsistencyModels.Tool.Tests.CommandLine;

/// <summary>Bad input gives a non-zero exit code and exactly one line on stderr, never a stack trace.</summary>
public class ErrorTests
{
    private static string SingleError(CliResult result, int expectedCode)
    {
        Assert.That(result.ExitCode, Is.EqualTo(expectedCode), result.Stderr);
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.Stderr);
        Assert.That(result.ErrorLines[0], Does.StartWith("error: "));
        Assert.That(result.Stderr, Does.Not.Contain("   at "));
        return result.ErrorLines[0];
    }

    [Test]
    public void CdWithoutTeacher()
    {
        var line = SingleError(new CliHarness().Run("distill", "--method", "cd", "--data", "d", "--out", "o"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: --method cd needs --teacher FILE (a model trained with cm train-teacher)"));
    }

    [TestCase("direct-cd")]
    [TestCase("progressive")]
    [TestCase("rectified")]
    public void EveryTeacherMethodNeedsATeacher(string method)
    {
        var line = SingleError(new CliHarness().Run("distill", "--method", method, "--data", "d", "--out", "o"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo($"error: --method {method} needs --teacher FILE (a model trained with cm train-teacher)"));
    }

    [Test]
    public void UnknownMethod()
    {
        var line = SingleError(new CliHarness().Run("distill", "--method", "foo", "--out", "o"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: unknown --method 'foo': expected cd, ct, ict, direct-cd, progressive or rectified"));
        Assert.That(line, Does.EndWith("see 'cm distill --help'"));
    }

    [Test]
    public void CropNotDivisibleByTheDownsampling()
    {
        var line = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", "--crop", "30"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: --crop 30 does not fit the small network: expected a positive multiple of 8"));
    }

    [TestCase("--attention", "5", "error: --channels/--mults/--blocks/--attention: AttentionLevels entries must be level indices in [0, 2], got 5.")]
    [TestCase("--mults", "1,x", "error: --mults expects comma-separated integers (or none), got '1,x'; see 'cm train-teacher --help'")]
    [TestCase("--compute", "fp16", "error: unknown --compute 'fp16': expected fp32, fp32-cl, bf16 or bf16-cl; see 'cm train-teacher --help'")]
    [TestCase("--channels", "7", "error: --channels/--mults/--blocks/--attention: BaseChannels must be an even number >= 4, got 7.")]
    public void TrainTeacherNetworkShape(string option, string value, string expected)
    {
        var line = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", option, value), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo(expected));
    }

    [Test]
    public void CropMustFitADeeperNetwork()
    {
        var line = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", "--mults", "1,2,4,4", "--crop", "40"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: --crop 40 does not fit the small network: expected a positive multiple of 16"));
    }

    [TestCase("--crop", "100", "--downsample", "3", "error: --crop 100 must be a multiple of --downsample 3")]
    [TestCase("--crop", "24", "--downsample", "2", "error: --crop 24 / --downsample 2 = 12 px is too small for the network (at least 16)")]
    public void TrainClassifierSizes(string o1, string v1, string o2, string v2, string expected)
    {
        var line = SingleError(new CliHarness().Run("train-classifier", "--data", "d", "--out", "c.safetensors", o1, v1, o2, v2), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo(expected));
    }

    [Test]
    public void TrainClassifierOutMustBeSafetensorsAndPicturesMustBePng()
    {
        var line = SingleError(new CliHarness().Run("train-classifier", "--data", "d", "--out", "c.bin"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: --out c.bin: expected a .safetensors file name"));
        line = SingleError(new CliHarness().Run("eval", "--model", "m", "--data", "d", "--pictures", "p.jpg"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: --pictures p.jpg: expected a .png file name"));
    }

    [Test]
    public void NegativeIters()
    {
        var line = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", "--iters", "-5"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: --iters must be at least 1, got -5"));
    }

    [Test]
    public void NonNumericValue()
    {
        var line = SingleError(new CliHarness().Run("sample", "--model", "m", "--out", "g.png", "--count", "many"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: --count expects an integer, got 'many'"));
    }

    [Test]
    public void MissingRequiredOptionAndUnknownOption()
    {
        SingleError(new CliHarness().Run("train-teacher", "--out", "o"), ExitCodes.Usage);
        var line = SingleError(new CliHarness().Run("bench", "--fast"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: Unrecognized command or argument '--fast'; see 'cm bench --help'"));
    }

    private static string[] Needs(DistillMethod m) =>
        [.. m.NeedsTeacher ? new[] { "--teacher", "t" } : [], .. m.ReadsData ? new[] { "--data", "d" } : []];

    private static string ValueOf(MethodOption option) => option switch
    {
        MethodOption.NStart => "4",
        MethodOption.Ema => "0.9",
        MethodOption.Rounds => "2",
        MethodOption.Pairs => "10",
        MethodOption.Form => "vp",
        MethodOption.Config => "tiny",
        MethodOption.Init => "s.safetensors",
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, "a new option needs a test value"),
    };

    /// <summary>Every (method, option) pair the method table rejects: exit 2, one line naming the option, the method and where it applies.</summary>
    public static IEnumerable<TestCaseData> RejectedOptions() =>
        from m in DistillMethods.All
        from option in Enum.GetValues<MethodOption>()
        where !m.Takes(option)
        select new TestCaseData(m.Method, option).SetArgDisplayNames(m.Name, EnumNames.Of(option));

    [TestCaseSource(nameof(RejectedOptions))]
    public void MethodSpecificOptionOnTheWrongMethod(TrainingMethod method, MethodOption option)
    {
        var m = DistillMethods.Of(method);
        var line = SingleError(new CliHarness().Run(["distill", "--method", m.Name, .. Needs(m), "--out", "o", EnumNames.Of(option), ValueOf(option)]),
            ExitCodes.Usage);
        Assert.That(line, Is.EqualTo($"error: {EnumNames.Of(option)} does not apply to --method {m.Name}; it applies to {DistillMethods.Taking(option)} only"));
    }

    /// <summary>Every (method, option) pair the table accepts parses (the complement of <see cref="RejectedOptions"/>).</summary>
    [Test]
    public void EveryOptionAMethodTakesParses()
    {
        foreach (var m in DistillMethods.All)
            foreach (var option in m.Options)
            {
                var result = new CliHarness().Run(["distill", "--method", m.Name, .. Needs(m), "--out", "o", "--n", "32", EnumNames.Of(option), ValueOf(option)]);
                Assert.That(result.ExitCode, Is.EqualTo(0), $"{m.Name} {EnumNames.Of(option)}: {result.Stderr}");
            }
    }

    /// <summary>Every (method, weighting) pair the method's loss cannot honour: exit 2 naming both; the others parse.</summary>
    [Test]
    public void WeightingsAreHonouredOrRejected()
    {
        int rejected = 0;
        foreach (var m in DistillMethods.All)
            foreach (var w in Enum.GetValues<LossWeightingKind>())
            {
                var result = new CliHarness().Run(["distill", "--method", m.Name, .. Needs(m), "--out", "o", "--weighting", EnumNames.Of(w)]);
                if (m.Weightings.Contains(w))
                {
                    Assert.That(result.ExitCode, Is.EqualTo(0), $"{m.Name} {EnumNames.Of(w)}: {result.Stderr}");
                    continue;
                }
                rejected++;
                var line = SingleError(result, ExitCodes.Usage);
                Assert.That(line, Does.StartWith($"error: --weighting {EnumNames.Of(w)} does not apply to --method {m.Name}"));
            }
        Assert.That(rejected, Is.EqualTo(3), "inverse-step for direct-cd, progressive and rectified");
        var cd = new CliHarness().Run("distill", "--method", "cd", "--teacher", "t", "--data", "d", "--out", "o", "--weighting", "inverse-step");
        Assert.That(cd.ExitCode, Is.EqualTo(0), "cd's loss compares σ_n and σ_{n+1}: inverse-step is honoured");
    }

    [Test]
    public void TeacherAndDataFollowTheTable()
    {
        foreach (var m in DistillMethods.All)
        {
            string[] wrongTeacher = m.NeedsTeacher ? [] : ["--teacher", "t"];
            string[] wrongData = m.ReadsData ? [] : ["--data", "d"];
            var line = SingleError(new CliHarness().Run(["distill", "--method", m.Name, .. wrongTeacher, .. m.ReadsData ? new[] { "--data", "d" } : [], "--out", "o"]),
                ExitCodes.Usage);
            Assert.That(line, Does.Contain($"--method {m.Name}").And.Contain("--teacher"));
            line = SingleError(new CliHarness().Run(["distill", "--method", m.Name, .. m.NeedsTeacher ? new[] { "--teacher", "t" } : [], .. wrongData, "--out", "o"]),
                ExitCodes.Usage);
            Assert.That(line, Does.Contain($"--method {m.Name}").And.Contain("--data"));
        }
    }

    [Test]
    public void ProgressiveNeedsAPowerOfTwo()
    {
        var line = SingleError(new CliHarness().Run("distill", "--method", "progressive", "--teacher", "t", "--data", "d", "--out", "o", "--n", "24"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: --n 24: progressive needs a power of 2"));
    }

    [Test]
    public void IctWithTeacherAndRectifiedWithData()
    {
        SingleError(new CliHarness().Run("distill", "--method", "ict", "--teacher", "t", "--data", "d", "--out", "o"), ExitCodes.Usage);
        SingleError(new CliHarness().Run("distill", "--method", "rectified", "--teacher", "t", "--data", "d", "--out", "o"), ExitCodes.Usage);
    }

    [Test]
    public void ResumeAndForceTogether()
    {
        var line = SingleError(new CliHarness().Run("train-teacher", "--data", "d", "--out", "o", "--resume", "--force"), ExitCodes.Usage);
        Assert.That(line, Does.StartWith("error: --resume and --force exclude each other"));
    }

    [Test]
    public void ParentCommandWithoutSubcommandNamesTheSubcommands()
    {
        var line = SingleError(new CliHarness().Run("data"), ExitCodes.Usage);
        Assert.That(line, Is.EqualTo("error: cm data needs a command: fetch; see 'cm data --help'"));
    }

    [Test]
    public void SampleOutputMustBePng()
    {
        SingleError(new CliHarness().Run("sample", "--model", "m", "--out", "grid.jpg"), ExitCodes.Usage);
    }

    [Test]
    public void RealHandlers_MissingTeacherFile()
    {
        var line = SingleError(CliHarness.RunReal("distill", "--method", "cd", "--teacher", "/nonexistent/t.safetensors", "--data", ".", "--out", "o"),
            ExitCodes.Failure);
        Assert.That(line, Is.EqualTo("error: --teacher /nonexistent/t.safetensors: file not found, expected a model trained with cm train-teacher"));
    }

    [Test]
    public void RealHandlers_MissingDataFolder()
    {
        var line = SingleError(CliHarness.RunReal("train-teacher", "--data", "/nonexistent/data", "--out", "o"), ExitCodes.Failure);
        Assert.That(line, Does.StartWith("error: --data /nonexistent/data: no such folder"));
    }

    private sealed class PatternFormatException(string message) : Exception(message);

    private static IEnumerable<TestCaseData> LibraryErrors()
    {
        yield return new TestCaseData(new FileNotFoundException("Could not find file 'x.safetensors'.", "x.safetensors"), "Could not find file 'x.safetensors'.");
        yield return new TestCaseData(new DirectoryNotFoundException("Could not find a part of the path '/a/b'."), "Could not find a part of the path '/a/b'.");
        yield return new TestCaseData(new InvalidDataException("m.safetensors: header length 999999 exceeds the file size 10"), "m.safetensors: header length 999999 exceeds the file size 10");
        yield return new TestCaseData(new ArgumentException("crop must be a multiple of 8, got 30.\nsecond line"), "crop must be a multiple of 8, got 30. second line");
        yield return new TestCaseData(new PatternFormatException("brick.pat: magic is not GPAT"), "brick.pat: magic is not GPAT");
    }

    [TestCaseSource(nameof(LibraryErrors))]
    public void LibraryExceptionsBecomeOneLine(Exception error, string expected)
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => throw error;
        var line = SingleError(harness.Run("bench"), ExitCodes.Failure);
        Assert.That(line, Is.EqualTo("error: " + expected));
    }

    [Test]
    public void UnexpectedExceptionIsAnInternalErrorWithoutStackTrace()
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => throw new InvalidOperationException("boom");
        var line = SingleError(harness.Run("bench"), ExitCodes.Internal);
        Assert.That(line, Does.StartWith("error: internal error: InvalidOperationException: boom"));
    }

    [Test]
    public void LibtorchErrorsLoseTheirNativeFrames()
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => throw new System.Runtime.InteropServices.ExternalException(
            "Expected false to be true, but got false. (Could this error message be improved? If so, please report an enhancement "
            + "request to PyTorch.) Exception raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\n"
            + "frame #0: c10::Error::Error(c10::SourceLocation) + 0xb0 (0x7f58 in libc10.so)\nframe #1: THSTensor_addcmul + 0x6c");
        var line = SingleError(harness.Run("bench"), ExitCodes.Internal);
        Assert.That(line, Is.EqualTo("error: internal error: ExternalException: Expected false to be true, but got false. "
            + "(run with --verbose or CM_DEBUG=1 for details)"));
    }

    [Test]
    public void DebugModeAddsTheStackTrace()
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => throw new InvalidOperationException("boom");
        var result = harness.Run(CancellationToken.None, debug: true, "bench");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Internal));
        Assert.That(result.ErrorLines.Length, Is.GreaterThan(1));
        Assert.That(result.Stderr, Does.Contain("   at "));
        var verbose = harness.Run("bench", "--verbose");
        Assert.That(verbose.Stderr, Does.Contain("   at "));
    }

    [Test]
    public void CancellationExitsWith130()
    {
        using var cts = new CancellationTokenSource();
        var harness = new CliHarness();
        harness.Handlers.Behavior = () =>
        {
            cts.Cancel();
            cts.Token.ThrowIfCancellationRequested();
            return 0;
        };
        var line = SingleError(harness.Run(cts.Token, debug: false, "bench"), ExitCodes.Cancelled);
        Assert.That(line, Is.EqualTo("error: stopped by Ctrl+C"));
    }

    [Test]
    public void HandlerExitCodeIsReturned()
    {
        var harness = new CliHarness();
        harness.Handlers.Behavior = () => 3;
        Assert.That(harness.Run("bench").ExitCode, Is.EqualTo(3));
    }
}
