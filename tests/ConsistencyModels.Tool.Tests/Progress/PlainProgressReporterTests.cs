using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Tests.Progress;

public class PlainProgressReporterTests
{
    [Test]
    public void PrintsAtMostOneLinePerIntervalAndTheLastStep()
    {
        var output = new StringWriter();
        var clock = new ManualClock();
        using var progress = new PlainProgressReporter(output, TimeSpan.FromSeconds(10), clock);
        progress.Start("train", total: 100);
        clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report(10, 0.9);                 // 5 s after start: inside the interval, silent
        clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report(20, 0.5);                 // 10 s: 20 steps in 10 s = 2 it/s, 80 left = 40 s
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report(22, 0.4);                 // 1 s after the last line: silent
        progress.Info("checkpoint saved");
        clock.Advance(TimeSpan.FromSeconds(39));
        progress.Report(100, 0.125);              // last step: always printed, no ETA
        progress.Finish("model written");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines, Is.EqualTo(new[]
        {
            "train  100 steps",
            "train  step 20/100  20.0%  loss 0.5  2 it/s  ETA 0:00:40",
            "checkpoint saved",
            "train  step 100/100  100.0%  loss 0.125  2 it/s",
            "train  done: 100/100 steps in 0:00:50 (2 it/s)",
            "model written",
        }));
    }

    [Test]
    public void APauseForASampleGridIsLeftOutOfTheSpeed()
    {
        var output = new StringWriter();
        var clock = new ManualClock();
        using var progress = new PlainProgressReporter(output, TimeSpan.FromSeconds(10), clock);
        progress.Start("train", total: 100);
        clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report(10, 0.5);                 // 10 steps in 5 s
        progress.Pause(true);
        clock.Advance(TimeSpan.FromSeconds(60));  // a sample grid
        progress.Pause(false);
        clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report(20, 0.5);                 // 20 steps in 10 s of training: 2 it/s, not 20 / 70 s
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines[^1], Is.EqualTo("train  step 20/100  20.0%  loss 0.5  2 it/s  ETA 0:00:40"));
    }

    [Test]
    public void ResumedRunCountsSpeedFromTheResumeStep()
    {
        var output = new StringWriter();
        var clock = new ManualClock();
        using var progress = new PlainProgressReporter(output, TimeSpan.FromSeconds(1), clock);
        progress.Start("distill", total: 1000, initial: 600);
        clock.Advance(TimeSpan.FromSeconds(4));
        progress.Report(700);                     // 100 new steps in 4 s = 25 it/s, 300 left = 12 s
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines, Is.EqualTo(new[]
        {
            "distill  resuming at step 600/1000",
            "distill  step 700/1000  70.0%  25 it/s  ETA 0:00:12",
        }));
    }

    [Test]
    public void FormatsNonFiniteLossAndLongDurations()
    {
        Assert.That(ProgressText.Loss(double.NaN), Is.EqualTo("nan"));
        Assert.That(ProgressText.Loss(double.PositiveInfinity), Is.EqualTo("inf"));
        Assert.That(ProgressText.Loss(0.000123456), Is.EqualTo("0.0001235"));
        Assert.That(ProgressText.Speed(123.4), Is.EqualTo("123"));
        Assert.That(ProgressText.Duration(TimeSpan.FromSeconds(3 * 3600 + 62)), Is.EqualTo("3:01:02"));
        Assert.That(ProgressText.Duration(TimeSpan.FromHours(25)), Is.EqualTo("1.01:00:00"));
    }

    [Test]
    public void FactoryFallsBackToPlainLinesWhenNotInteractive()
    {
        using var reporter = ProgressReporterFactory.Create(new StringWriter(), interactive: false);
        Assert.That(reporter, Is.TypeOf<PlainProgressReporter>());
    }

    [Test]
    public void SpectreReporterRunsAPhaseAndWritesItsTitle()
    {
        var output = new StringWriter();
        using (var reporter = ProgressReporterFactory.Create(output, interactive: true))
        {
            Assert.That(reporter, Is.TypeOf<SpectreProgressReporter>());
            reporter.Start("teacher", 10);
            for (int step = 1; step <= 10; step++) reporter.Report(step, 1.0 / step);
            reporter.Info("a line");
            reporter.Finish("done");
        }
        Assert.That(output.ToString(), Does.Contain("teacher").And.Contain("a line").And.Contain("done"));
    }
}
