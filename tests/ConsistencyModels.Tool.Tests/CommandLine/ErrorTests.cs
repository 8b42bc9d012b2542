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

    [TestCase("--ema", "0.9", "ict")]
    [TestCase("--rounds", "2", "cd")]
    [TestCase("--pairs", "10", "cd")]
    [TestCase("--n-start", "4", "cd")]
    public void MethodSpecificOptionOnTheWrongMethod(string option, string value, string method)
    {
        string[] teacher = method == "ict" ? [] : ["--teacher", "t"];
        var line = SingleError(new CliHarness().Run(["distill", "--method", method, .. teacher, "--data", "d", "--out", "o", option, value]), ExitCodes.Usage);
        Assert.That(line, Does.StartWith($"error: {option} applies to").And.EndWith($"not to --method {method}"));
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
