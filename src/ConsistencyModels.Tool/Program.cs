using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool;

/// <summary>The entry point of the <c>cm</c> tool.</summary>
public static class Program
{
    /// <summary>
    /// Runs <c>cm</c>. The first Ctrl+C (or SIGTERM) cancels the command (training stops after the current step and
    /// saves a checkpoint); a command that has not stopped within a second is ended, and a second signal ends the
    /// process at once (<see cref="StopSignals"/>).
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static int Main(string[] args)
    {
        // Training and sampling free and re-allocate the same activations every step: keep them in the heap.
        Platform.NativeAllocator.KeepFreedBuffers();
        Platform.GcStress.StartIfRequested();
        using var cancellation = new CancellationTokenSource();
        using var signals = new StopSignals(cancellation, Console.Error);
        var settings = CliSettings.Default() with
        {
            Cancellation = cancellation.Token,
            Interactive = ProgressReporterFactory.IsInteractiveTerminal(),
        };
        int code = Cli.Run(args, Console.Out, Console.Error, settings);
        signals.Finished(code);
        return code;
    }
}
