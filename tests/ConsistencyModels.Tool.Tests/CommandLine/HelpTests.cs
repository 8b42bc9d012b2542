using System.CommandLine;
using ConsistencyModels.Tool.CommandLine;

namespace ConsistencyModels.Tool.Tests.CommandLine;

/// <summary>--help on every command explains every option.</summary>
public class HelpTests
{
    private static IEnumerable<string[]> LeafCommandPaths()
    {
        var root = Cli.BuildRoot(CliSettings.Default(), TextWriter.Null);
        foreach (var path in Walk(root, []))
            yield return path;
    }

    private static IEnumerable<string[]> Walk(Command command, string[] path)
    {
        if (command.Subcommands.Count == 0) yield return path;
        foreach (var sub in command.Subcommands)
            foreach (var p in Walk(sub, [.. path, sub.Name]))
                yield return p;
    }

    private static Command Find(string[] path)
    {
        Command command = Cli.BuildRoot(CliSettings.Default(), TextWriter.Null);
        foreach (var name in path) command = command.Subcommands.Single(c => c.Name == name);
        return command;
    }

    [Test]
    public void TheNineCommandsExist()
    {
        var paths = LeafCommandPaths().Select(p => string.Join(' ', p)).ToList();
        Assert.That(paths, Is.EquivalentTo(new[] { "train-teacher", "distill", "sample", "eval", "data fetch gimp-patterns", "data fetch freedoom-flats", "bench", "train-classifier", "export" }));
    }

    [TestCaseSource(nameof(LeafCommandPaths))]
    public void HelpListsEveryOptionWithADescription(string[] path)
    {
        var command = Find(path);
        var result = new CliHarness().Run([.. path, "--help"]);
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(command.Description, Is.Not.Empty);
        var options = command.Options.Where(o => o.Name is not "--help").ToList();
        Assert.That(options, Is.Not.Empty);
        foreach (var option in options)
        {
            Assert.That(option.Description, Is.Not.Null.And.Length.GreaterThan(10), option.Name);
            Assert.That(result.Stdout, Does.Contain(option.Name), option.Name);
        }
    }

    [Test]
    public void DistillHelpStatesThePerMethodDefaults()
    {
        var help = new CliHarness().Run("distill", "--help").Stdout;
        Assert.That(help, Does.Contain("cd|ct").Or.Contain("METHOD"));
        Assert.That(help, Does.Contain("default 18"));
        Assert.That(help, Does.Contain("default 1280"));
        Assert.That(help, Does.Contain("pseudo-huber"));
    }

    [Test]
    public void NoArgumentsPrintsTheCommandListAndAUsageExitCode()
    {
        var result = new CliHarness().Run();
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(result.Stdout, Does.Contain("train-teacher").And.Contain("distill").And.Contain("bench"));
    }
}
