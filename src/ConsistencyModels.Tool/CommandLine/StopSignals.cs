using System.Runtime.InteropServices;
using ConsistencyModels.IO;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for a <c>cm</c> process. The first signal cancels the command's token: training stops
/// after the current step and writes a checkpoint, sampling and benchmarks stop between batches. If the command has
/// not ended after <see cref="Grace"/> (a native call that does not return, a frame that takes minutes), the process
/// ends with exit code 130, after letting a checkpoint that is being written finish. Training gets longer when its
/// measured step time needs it (four times the mean step time plus a second, at most <see cref="LongestStepWait"/>), so
/// the step in progress can end and be saved even when the machine got busier than the mean saw. A second signal ends
/// the process at once.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    /// <summary>Environment variable that overrides <see cref="Grace"/> in milliseconds (tests).</summary>
    public const string GraceVariable = "CM_STOP_GRACE_MS";

    /// <summary>The longest wait for a checkpoint write in progress before ending anyway.</summary>
    public static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(60);

    /// <summary>The longest a training step may delay the stop.</summary>
    public static readonly TimeSpan LongestStepWait = TimeSpan.FromSeconds(30);

    private static long stepTicks;
    private static string? savedNote;

    /// <summary>A command that has saved what a stop must keep (training: the checkpoint of the stop step) says so here;
    /// if it then does not return in time (it waits for work it abandoned), the watchdog ends the process with this
    /// line instead of an error.</summary>
    public static void NoteSaved(string line) => Volatile.Write(ref savedNote, line);

    private readonly CancellationTokenSource cancellation;
    private readonly TextWriter stderr;
    private readonly PosixSignalRegistration[] registrations;
    private int signals;
    private int exiting;

    /// <summary>Registers the handlers; dispose to remove them.</summary>
    /// <param name="cancellation">Cancelled by the first signal.</param>
    /// <param name="stderr">Where the one-line notices go.</param>
    public StopSignals(CancellationTokenSource cancellation, TextWriter stderr)
    {
        this.cancellation = cancellation;
        this.stderr = stderr;
        Grace = ReadGrace();
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>How long the command may take to stop by itself after the first signal (default 0.6 s).</summary>
    public TimeSpan Grace { get; }

    /// <summary>Training reports its current time per step here, so a stop can wait for the step to end.</summary>
    /// <param name="step">The measured duration of one training step.</param>
    public static void ReportStepTime(TimeSpan step) => Interlocked.Exchange(ref stepTicks, Math.Max(0, step.Ticks));

    /// <summary>How long the command may take to stop after the first signal (<see cref="WaitFor"/> of the reported step time).</summary>
    public TimeSpan StopWait => WaitFor(TimeSpan.FromTicks(Interlocked.Read(ref stepTicks)), Grace);

    /// <summary>
    /// The stop wait for a mean training step of <paramref name="step"/> (zero: not training): <paramref name="grace"/>, or
    /// four steps plus a second when that is longer, at most <see cref="LongestStepWait"/>. The mean comes from the whole
    /// run, and a step in progress takes longer when the machine got busier since (a second job, a lowered priority:
    /// a 0.8 s mean step once took over 1.8 s, and twice the mean plus a quarter second lost it), so the margin is wide; it only
    /// delays a stop whose step never ends, since a step that ends stops the command at once.
    /// </summary>
    internal static TimeSpan WaitFor(TimeSpan step, TimeSpan grace)
    {
        var training = step > TimeSpan.Zero ? step * 4 + TimeSpan.FromSeconds(1) : TimeSpan.Zero;
        return training > grace ? (training < LongestStepWait ? training : LongestStepWait) : grace;
    }

    /// <summary>Whether a signal has arrived.</summary>
    public bool Signalled => Volatile.Read(ref signals) > 0;

    /// <summary>
    /// The command has returned <paramref name="code"/>. After a signal the process ends now, without the runtime's
    /// and libtorch's shutdown (which can outlast the second the stop may take); otherwise this returns.
    /// </summary>
    public void Finished(int code)
    {
        if (!Signalled) return;
        if (ClaimExit()) ImmediateExit.Now(code);
        Thread.Sleep(Timeout.Infinite); // the watchdog is ending the process
    }

    /// <summary>Removes the handlers.</summary>
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // this class decides when the process ends
        string name = context.Signal == PosixSignal.SIGINT ? "Ctrl+C" : context.Signal.ToString();
        if (Interlocked.Increment(ref signals) > 1)
        {
            Say($"error: stopped by a second {name}");
            ImmediateExit.Now(ExitCodes.Cancelled);
            return;
        }
        ErrorReport.CancelledBy = name;
        Progress.SpectreProgressReporter.StopLiveBars(); // else the bar's next redraw overwrites the notice
        Say($"{name}: stopping (training saves a checkpoint after the current step; {name} again ends at once)...");
        var watchdog = new Thread(() => EndAfterGrace(name)) { IsBackground = true, Name = "cm stop watchdog" };
        watchdog.Start();
        cancellation.Cancel();
    }

    private void EndAfterGrace(string name)
    {
        var wait = StopWait;
        Thread.Sleep(wait);
        if (FileWrites.InProgress > 0)
        {
            Say("waiting for the checkpoint being written...");
            FileWrites.WaitUntilIdle(CheckpointWait);
            Thread.Sleep(TimeSpan.FromMilliseconds(200)); // let the command report what it saved
        }
        if (!ClaimExit()) return; // the command stopped by itself and is ending the process
        if (Volatile.Read(ref savedNote) is { } saved)
        {
            Say($"{name}: stopped; {saved}");
            ImmediateExit.Now(ExitCodes.Cancelled);
            return;
        }
        Say(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"error: stopped by {name} (the command did not stop by itself within {wait.TotalSeconds:0.##} s)"));
        ImmediateExit.Now(ExitCodes.Cancelled);
    }

    /// <summary>True for the one caller (the returning command or the watchdog) that gets to end the process.</summary>
    private bool ClaimExit() => Interlocked.Exchange(ref exiting, 1) == 0;

    private void Say(string line)
    {
        try
        {
            lock (stderr)
            {
                stderr.WriteLine(line);
                stderr.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The terminal or pipe is gone: the exit code still tells.
        }
    }

    private static TimeSpan ReadGrace()
    {
        string? text = Environment.GetEnvironmentVariable(GraceVariable);
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.FromMilliseconds(600);
    }
}
