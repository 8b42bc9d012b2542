using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool;

/// <summary>The entry point of the <c>cm</c> tool.</summary>
public static class Program
{
    /// <summary>
    /// Runs <c>cm</c>. The first Ctrl+C (or SIGTERM) cancels the command cleanly (training stops after the
    /// current step and saves a checkpoint); a second Ctrl+C ends the process at once.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static int Main(string[] args)
    {
        // Training and sampling free and re-allocate the same activations every step: keep them in the heap.
        Platform.NativeAllocator.KeepFreedBuffers();
        Platform.GcStress.StartIfRequested();
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested) return; // second Ctrl+C: let the runtime end the process
            e.Cancel = true;
            Console.Error.WriteLine("stopping after the current step (Ctrl+C again to abort)...");
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, a job scheduler's time limit) stops the same way: finish the step, write a checkpoint.
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            if (cancellation.IsCancellationRequested) return;
            context.Cancel = true;
            Console.Error.WriteLine("SIGTERM: stopping after the current step...");
            cancellation.Cancel();
        });
        try
        {
            var settings = CliSettings.Default() with
            {
                Cancellation = cancellation.Token,
                Interactive = ProgressReporterFactory.IsInteractiveTerminal(),
            };
            return Cli.Run(args, Console.Out, Console.Error, settings);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
