using Spectre.Console;
using Spectre.Console.Rendering;

namespace ConsistencyModels.Tool.Progress;

/// <summary>
/// A live Spectre.Console progress bar on a terminal: phase, bar, step/total, loss, it/s and ETA.
/// Spectre's progress is callback-based, so it runs on a background task for the lifetime of a
/// phase while the training thread pushes values into its <see cref="ProgressTask"/>.
/// </summary>
public sealed class SpectreProgressReporter : IProgressReporter
{
    private const string LossKey = "loss";
    private const string HasLossKey = "has-loss";
    private const string SpeedKey = "speed";
    private readonly System.Diagnostics.Stopwatch active = new(); // phase time without pauses (sample grids)
    private long initialStep;
    private readonly IAnsiConsole console;
    private readonly object gate = new();
    private ProgressTask? task;
    private TaskCompletionSource? done;
    private Task? rendering;
    private static readonly List<SpectreProgressReporter> Live = [];
    private static volatile bool suppressed;

    /// <summary>
    /// Ends every live bar now, leaving the screen to plain lines: called on Ctrl+C before its notice is written, so
    /// the bar's redraw does not overwrite the notice (Spectre redraws the lines it owns). Later phases print no bar.
    /// Safe from any thread; waits at most a second for the renderer.
    /// </summary>
    public static void StopLiveBars()
    {
        suppressed = true;
        SpectreProgressReporter[] live;
        lock (Live) live = [.. Live];
        foreach (var reporter in live)
        {
            reporter.done?.TrySetResult();
            reporter.rendering?.Wait(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Creates a reporter drawing on <paramref name="console"/>.</summary>
    /// <param name="console">The terminal console.</param>
    public SpectreProgressReporter(IAnsiConsole console) => this.console = console;

    /// <inheritdoc />
    public void Start(string title, long total, long initial = 0)
    {
        lock (gate)
        {
            StopRendering();
            if (suppressed)
            {
                console.WriteLine(title);
                return;
            }
            var ready = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var finished = done.Task;
            var progress = console.Progress()
                .AutoClear(false)
                .Columns(
                    new TaskDescriptionColumn(),
                    new ProgressBarColumn(),
                    new StepColumn(),
                    new LossColumn(),
                    new SpeedColumn(),
                    new RemainingTimeColumn());
            rendering = Task.Run(() => progress.StartAsync(async context =>
            {
                var t = context.AddTask(Markup.Escape(title), autoStart: true, maxValue: Math.Max(1, total));
                t.State.Update<double>(SpeedKey, _ => double.NaN);
                t.Value = initial;
                ready.SetResult(t);
                await finished.ConfigureAwait(false);
            }));
            task = ready.Task.GetAwaiter().GetResult();
            initialStep = initial;
            active.Restart();
            lock (Live) if (!Live.Contains(this)) Live.Add(this);
        }
    }

    /// <inheritdoc />
    public void Report(long step, double? loss = null)
    {
        var t = task;
        if (t is null) return;
        if (loss is double l)
        {
            t.State.Update<double>(LossKey, _ => l);
            t.State.Update<bool>(HasLossKey, _ => true);
        }
        double seconds = active.Elapsed.TotalSeconds;
        if (seconds > 0 && step > initialStep) t.State.Update<double>(SpeedKey, _ => (step - initialStep) / seconds);
        t.Value = step;
    }

    /// <inheritdoc />
    public void Pause(bool paused)
    {
        if (paused) active.Stop();
        else active.Start();
    }

    /// <inheritdoc />
    public void Info(string message)
    {
        console.WriteLine(message);
    }

    /// <inheritdoc />
    public void Finish(string? summary = null)
    {
        lock (gate)
        {
            if (task is not null) task.StopTask();
            StopRendering();
        }
        if (summary is not null) console.WriteLine(summary);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate) StopRendering();
        lock (Live) Live.Remove(this);
    }

    private void StopRendering()
    {
        done?.TrySetResult();
        rendering?.GetAwaiter().GetResult();
        rendering = null;
        done = null;
        task = null;
    }

    /// <summary>"step/total".</summary>
    private sealed class StepColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text($"{(long)task.Value}/{(long)task.MaxValue}");
    }

    /// <summary>"loss 0.01234" from the task state.</summary>
    private sealed class LossColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            // Spectre's state returns default(T) for unset keys, hence the separate flag.
            if (task.State.Get<bool>(HasLossKey) == false) return new Text("");
            return new Text($"loss {ProgressText.Loss(task.State.Get<double>(LossKey))}");
        }
    }

    /// <summary>"12.3 it/s": steps of this phase over its time without pauses (a sample grid does not lower it).</summary>
    private sealed class SpeedColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.State.Get<double>(SpeedKey) is var s && double.IsFinite(s) && s > 0 ? $"{ProgressText.Speed(s)} it/s" : "– it/s");
    }
}
