using ConsistencyModels.Tool.Commands;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>What <see cref="Cli.Run(string[], TextWriter, TextWriter, CliSettings)"/> needs beyond the arguments.</summary>
/// <param name="Handlers">The command handlers (tests pass a recorder).</param>
/// <param name="Cancellation">Cancelled on Ctrl+C.</param>
/// <param name="Interactive">Whether stdout is a terminal (live progress bar) or not (plain lines).</param>
/// <param name="Debug">Print full exceptions (CM_DEBUG=1); --verbose turns it on too.</param>
internal sealed record CliSettings(
    ICommandHandlers Handlers,
    CancellationToken Cancellation,
    bool Interactive,
    bool Debug)
{
    /// <summary>The settings of a non-interactive run with the real handlers (CM_DEBUG read from the environment).</summary>
    public static CliSettings Default() =>
        new(new CommandHandlers(), CancellationToken.None, Interactive: false,
            Debug: Environment.GetEnvironmentVariable("CM_DEBUG") is "1" or "true");

    /// <summary>Creates the progress reporter for a command (overridable for tests).</summary>
    public Func<TextWriter, bool, IProgressReporter> ProgressFactory { get; init; } = ProgressReporterFactory.Create;
}
