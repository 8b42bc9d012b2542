using System.Globalization;

namespace ConsistencyModels.Tool.Progress;

/// <summary>
/// Progress as plain lines for redirected output and CI logs: one line at the start, then at most one
/// per <c>interval</c>, and one at the last step, e.g.
/// <c>train-teacher  step 120/1000  12.0%  loss 0.01234  3.41 it/s  ETA 0:04:18</c>.
/// </summary>
public sealed class PlainProgressReporter : IProgressReporter
{
    private readonly TextWriter output;
    private readonly TimeProvider clock;
    private readonly TimeSpan interval;
    private readonly object gate = new();
    private string title = "";
    private long total;
    private long initial;
    private long startTimestamp;
    private long lastPrintTimestamp;
    private long lastStep;
    private bool active;
    private TimeSpan paused;          // pauses (sample grids) of this phase, left out of it/s and the ETA
    private long? pauseStart;

    /// <summary>Creates a reporter writing to <paramref name="output"/>.</summary>
    /// <param name="output">Where lines go (stdout).</param>
    /// <param name="interval">Minimum time between two progress lines (default 10 s).</param>
    /// <param name="clock">Time source (tests pass a fake one).</param>
    public PlainProgressReporter(TextWriter output, TimeSpan? interval = null, TimeProvider? clock = null)
    {
        this.output = output;
        this.interval = interval ?? TimeSpan.FromSeconds(10);
        this.clock = clock ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public void Start(string title, long total, long initial = 0)
    {
        lock (gate)
        {
            this.title = title;
            this.total = total;
            this.initial = initial;
            lastStep = initial;
            startTimestamp = lastPrintTimestamp = clock.GetTimestamp();
            paused = TimeSpan.Zero;
            pauseStart = null;
            active = true;
            output.WriteLine(initial > 0
                ? $"{title}  resuming at step {initial}/{total}"
                : $"{title}  {total} steps");
            output.Flush();
        }
    }

    /// <inheritdoc />
    public void Report(long step, double? loss = null)
    {
        lock (gate)
        {
            if (!active) return;
            lastStep = step;
            long now = clock.GetTimestamp();
            bool last = step >= total;
            if (!last && clock.GetElapsedTime(lastPrintTimestamp, now) < interval) return;
            lastPrintTimestamp = now;
            output.WriteLine(Line(step, loss, clock.GetElapsedTime(startTimestamp, now) - paused));
            output.Flush();
        }
    }

    /// <inheritdoc />
    public void Info(string message)
    {
        lock (gate)
        {
            output.WriteLine(message);
            output.Flush();
        }
    }

    /// <inheritdoc />
    public void Finish(string? summary = null)
    {
        lock (gate)
        {
            if (active)
            {
                var elapsed = clock.GetElapsedTime(startTimestamp);
                double seconds = elapsed.TotalSeconds;
                string speed = seconds > 0 ? $" ({ProgressText.Speed((lastStep - initial) / seconds)} it/s)" : "";
                output.WriteLine($"{title}  done: {lastStep}/{total} steps in {ProgressText.Duration(elapsed)}{speed}");
                active = false;
            }
            if (summary is not null) output.WriteLine(summary);
            output.Flush();
        }
    }

    /// <inheritdoc />
    public void Pause(bool pause)
    {
        lock (gate)
        {
            if (pause) pauseStart ??= clock.GetTimestamp();
            else if (pauseStart is long start)
            {
                paused += clock.GetElapsedTime(start);
                pauseStart = null;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() { }

    private string Line(long step, double? loss, TimeSpan elapsed)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{title}  step {step}/{total}");
        if (total > 0) text.Append(CultureInfo.InvariantCulture, $"  {100.0 * step / total:F1}%");
        if (loss is double l) text.Append("  loss ").Append(ProgressText.Loss(l));
        double seconds = elapsed.TotalSeconds;
        long done = step - initial;
        if (seconds > 0 && done > 0)
        {
            double speed = done / seconds;
            text.Append("  ").Append(ProgressText.Speed(speed)).Append(" it/s");
            if (step < total)
                text.Append("  ETA ").Append(ProgressText.Duration(TimeSpan.FromSeconds((total - step) / speed)));
        }
        return text.ToString();
    }
}
