using ConsistencyModels.Fetching;
using System.Diagnostics;
using ConsistencyModels.Data;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>
/// <c>cm data fetch gimp-patterns</c> against fake <c>apt-get</c>s on PATH (no network): a missing one, a failing one,
/// and one that "downloads" a small .deb built here with <c>dpkg-deb</c>.
/// </summary>
[NonParallelizable]
public class DataFetchCommandTests
{
    private static CliResult WithPath(string path, params string[] args)
    {
        string? old = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", path);
        try
        {
            return CliHarness.RunReal(args);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", old);
        }
    }

    private static void Script(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Test]
    public void MissingAptGetIsOneClearLine()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("bin"));
        var r = WithPath(tmp.File("bin"), "data", "fetch", "gimp-patterns", "--out", tmp.File("out"));
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure), r.Stderr);
        Assert.That(r.ErrorLines, Is.EqualTo(new[] { "error: data fetch gimp-patterns: 'apt-get' not found on PATH: fetching GIMP patterns needs a Debian/Ubuntu system with apt-get and dpkg (or copy a GIMP patterns folder yourself)." }));
    }

    [Test]
    public void FailingDownloadIsOneClearLine()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs /bin/sh");
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("bin"));
        Script(tmp.File("bin/apt-get"), "echo 'E: Unable to locate package gimp-data' >&2; exit 100");
        Script(tmp.File("bin/dpkg"), "exit 0");
        var r = WithPath(tmp.File("bin"), "data", "fetch", "gimp-patterns", "--out", tmp.File("out"));
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure), r.Stderr);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.Contain("failed with exit code 100: E: Unable to locate package gimp-data"));
    }

    [Test]
    public void FetchesTheChosenCategoriesFromAPackage()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/dpkg-deb") || !File.Exists("/usr/bin/dpkg")) Assert.Ignore("needs dpkg-deb and dpkg");
        using var tmp = new TempFolder();
        // A fake gimp-data package: two Stone patterns, one Wood pattern (the bytes need not be valid .pat files).
        string root = tmp.File("pkg");
        string patterns = Path.Combine(root, GimpPatternFetcher.PatternsSubpath);
        Directory.CreateDirectory(Path.Combine(patterns, "Stone"));
        Directory.CreateDirectory(Path.Combine(patterns, "Wood"));
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        File.WriteAllText(Path.Combine(patterns, "Stone", "a.pat"), "a");
        File.WriteAllText(Path.Combine(patterns, "Stone", "b.pat"), "b");
        File.WriteAllText(Path.Combine(patterns, "Wood", "c.pat"), "c");
        File.WriteAllText(Path.Combine(root, "DEBIAN", "control"),
            "Package: gimp-data\nVersion: 1.0\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: fake\n");
        string deb = tmp.File("gimp-data_1.0_all.deb");
        using (var build = Process.Start(new ProcessStartInfo("/usr/bin/dpkg-deb", ["--build", "--root-owner-group", root, deb])
               { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            build.WaitForExit();
            Assert.That(build.ExitCode, Is.EqualTo(0), build.StandardError.ReadToEnd());
        }
        Directory.CreateDirectory(tmp.File("bin"));
        Script(tmp.File("bin/apt-get"), $"/bin/cp '{deb}' .");
        string path = tmp.File("bin") + ":" + Environment.GetEnvironmentVariable("PATH");

        var r = WithPath(path, "data", "fetch", "gimp-patterns", "--out", tmp.File("out"), "--categories", "stone");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(Directory.GetFiles(tmp.File("out/Stone")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "a.pat", "b.pat" }));
        Assert.That(Directory.Exists(tmp.File("out/Wood")), Is.False);
        Assert.That(r.Stdout, Does.Contain("| Stone    |        2 |"));

        // --force replaces the category's patterns, names what it deletes, and keeps what is not a pattern.
        File.WriteAllText(tmp.File("out/Stone/old.pat"), "old");
        File.WriteAllText(tmp.File("out/Stone/notes.txt"), "mine");
        var refused = WithPath(path, "data", "fetch", "gimp-patterns", "--out", tmp.File("out"), "--categories", "stone");
        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Usage), "a non-empty --out needs --force");
        var forced = WithPath(path, "data", "fetch", "gimp-patterns", "--out", tmp.File("out"), "--categories", "stone", "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.Stderr);
        Assert.That(forced.Stdout, Does.Contain($"--force: deleting 3 old pattern(s) in {tmp.File("out/Stone")}: a.pat, b.pat, old.pat"));
        Assert.That(Directory.GetFiles(tmp.File("out/Stone")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "a.pat", "b.pat", "notes.txt" }));

        var unknown = WithPath(path, "data", "fetch", "gimp-patterns", "--out", tmp.File("out2"), "--categories", "Lava");
        Assert.That(unknown.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(unknown.ErrorLines, Is.EqualTo(new[] { "error: --categories: the package has no category 'Lava'; it has Stone, Wood" }));
    }
}
