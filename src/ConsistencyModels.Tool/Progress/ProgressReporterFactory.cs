using Spectre.Console;

namespace ConsistencyModels.Tool.Progress;

/// <summary>Chooses the live bar or the plain-line fallback.</summary>
public static class ProgressReporterFactory
{
    /// <summary>
    /// Whether the process talks to a person at a terminal: stdout not redirected, not in CI
    /// (<c>CI</c> set), and <c>TERM</c> not <c>dumb</c>.
    /// </summary>
    public static bool IsInteractiveTerminal() =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>Creates the reporter for <paramref name="output"/>.</summary>
    /// <param name="output">Where progress goes (stdout).</param>
    /// <param name="interactive">True for a live Spectre bar, false for plain periodic lines.</param>
    public static IProgressReporter Create(TextWriter output, bool interactive)
    {
        if (!interactive) return new PlainProgressReporter(output);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.Detect,
            Interactive = InteractionSupport.Yes,
        });
        return new SpectreProgressReporter(console);
    }
}
