using ConsistencyModels.Tool.CommandLine;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>train-teacher's user errors through the real handler: one line, non-zero exit, no stack trace.</summary>
public class TrainTeacherErrorTests
{
    [Test]
    public void EmptyDataFolder_IsOneLineNamingTheFolder()
    {
        var dir = Directory.CreateTempSubdirectory("cm-empty-").FullName;
        var output = Path.Combine(Path.GetTempPath(), "cm-out-" + Guid.NewGuid().ToString("N"));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.Run(new[] { "train-teacher", "--data", dir, "--out", output, "--config", "tiny", "--iters", "1" }, stdout, stderr);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(Path.GetFileName(dir)));
        Assert.That(stderr.ToString(), Does.Not.Contain("   at "));
    }

    [Test]
    public void CorruptImage_IsOneLineNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("cm-bad-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "broken.png"), new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 });
        var output = Path.Combine(Path.GetTempPath(), "cm-out-" + Guid.NewGuid().ToString("N"));
        var stderr = new StringWriter();
        int code = Cli.Run(new[] { "train-teacher", "--data", dir, "--out", output, "--config", "tiny", "--iters", "1" }, new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(stderr.ToString().Trim(), Does.StartWith("error: ").And.Contain("broken.png"));
        Assert.That(stderr.ToString().Trim().Split('\n'), Has.Length.EqualTo(1));
    }
}
