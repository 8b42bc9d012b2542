using System.Text.Json;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Tool.Runs;
using ConsistencyModels.Tool.Tests.Commands;

namespace ConsistencyModels.Tool.Tests.Runs;

/// <summary>log.jsonl of a run stopped between log lines and resumed equals the uninterrupted run's (every field but
/// the wall-clock ones, time and it_per_s); sample grids give way to a stop at once.</summary>
public class ResumeLogTests : SingleThreadFixture
{
    private static string[] Train(string outDir, int iters) =>
        ["train-teacher", "--data", TestModels.DataFolder, "--out", outDir, "--config", "tiny", "--crop", "8", "--batch", "2",
         "--iters", $"{iters}", "--warmup", "0", "--checkpoint-every", "100", "--sample-every", "0", "--log-every", "4"];

    // Each line without the fields that measure the wall clock.
    private static string[] Lines(string runDir) => File.ReadAllLines(Path.Combine(runDir, "log.jsonl")).Select(line =>
    {
        var fields = JsonDocument.Parse(line).RootElement.EnumerateObject()
            .Where(p => p.Name is not ("time" or "it_per_s")).Select(p => $"{p.Name}={p.Value.GetRawText()}");
        return string.Join(",", fields);
    }).ToArray();

    [Test]
    public void ALogResumedBetweenLogLinesEqualsTheUninterruptedOne()
    {
        using var tmp = new TempFolder();
        string straight = tmp.File("straight"), resumed = tmp.File("resumed");
        var a = CliHarness.RunReal(Train(straight, 12));
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Stderr);
        // Stopped at step 6, between the lines at 4 and 8: its closing line at 6 and the half window 5-6 must not show.
        var b = CliHarness.RunReal(Train(resumed, 6));
        Assert.That(b.ExitCode, Is.EqualTo(0), b.Stderr);
        Assert.That(Lines(resumed).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "step=4", "step=6" }));
        var c = CliHarness.RunReal([.. Train(resumed, 12), "--resume"]);
        Assert.That(c.ExitCode, Is.EqualTo(0), c.Stderr + c.Stdout);

        var expected = Lines(straight);
        Assert.That(expected.Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "step=4", "step=8", "step=12" }));
        Assert.That(Lines(resumed), Is.EqualTo(expected), "same steps, same mean losses");
        Assert.That(File.ReadAllLines(Path.Combine(resumed, "log.jsonl")).All(l => l.Contains("\"it_per_s\":")), Is.True);
    }

    [Test]
    public void AStopDuringASampleGridReturnsAtOnce()
    {
        using var release = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var progress = new RecordingProgress();
        stop.CancelAfter(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var abandoned = TrainingRuns.WriteGrid(_ => release.Wait(TimeSpan.FromSeconds(30)), 50, progress, stop.Token);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "the stop does not wait for the grid");
        Assert.That(abandoned, Is.Not.Null);
        Assert.That(progress.Lines, Is.EqualTo(new[] { "step 50: making the sample grid...", "step 50: sample grid abandoned (stopping)" }));
        release.Set();
        Assert.That(abandoned!.Wait(TimeSpan.FromSeconds(30)), Is.True);

        // Not stopped: the grid is waited for and timed; its failure reaches the trainer.
        progress.Lines.Clear();
        Assert.That(TrainingRuns.WriteGrid(_ => { }, 60, progress, CancellationToken.None), Is.Null);
        Assert.That(progress.Lines[1], Does.StartWith("step 60: sample grid written in "));
        Assert.Throws<IOException>(() => TrainingRuns.WriteGrid(_ => throw new IOException("disk full"), 70, progress, CancellationToken.None));

        // A long grid says it is still at work.
        progress.Lines.Clear();
        TrainingRuns.WriteGrid(_ => Thread.Sleep(450), 80, progress, CancellationToken.None, every: TimeSpan.FromMilliseconds(100));
        Assert.That(progress.Lines.Count(l => l.StartsWith("step 80: sample grid, ") && l.EndsWith(" s so far...")), Is.GreaterThanOrEqualTo(2));
        Assert.That(progress.Lines[^1], Does.StartWith("step 80: sample grid written in "));
    }

    private sealed class RecordingProgress : IProgressReporter
    {
        public List<string> Lines { get; } = [];
        public void Start(string title, long total, long initial = 0) { }
        public void Report(long step, double? loss = null) { }
        public void Info(string message) { lock (Lines) Lines.Add(message); }
        public void Finish(string? summary = null) { }
        public void Dispose() { }
    }
}
