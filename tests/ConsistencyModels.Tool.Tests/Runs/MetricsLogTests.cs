using ConsistencyModels.Tool.Runs;

namespace ConsistencyModels.Tool.Tests.Runs;

public class MetricsLogTests
{
    private static KeyValuePair<string, double>[] Loss(double value) => [new("loss", value)];

    [Test]
    public void WritesOneFlushedJsonObjectPerLine()
    {
        using var temp = new TempFolder();
        var clock = new ManualClock();
        string path = temp.File("log.jsonl");
        using (var log = MetricsLog.Create(path, clock))
        {
            log.Write(50, [new("loss", 0.25), new("lr", 2e-4)]);
            // Flushed: readable while the log is still open.
            Assert.That(File.ReadAllText(path), Is.EqualTo("{\"step\":50,\"time\":\"2026-01-02T03:04:05.000Z\",\"loss\":0.25,\"lr\":0.0002}\n"));
            clock.Advance(TimeSpan.FromSeconds(1));
            log.Write(100, Loss(double.NaN));
        }
        var lines = File.ReadAllLines(path);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[1], Is.EqualTo("{\"step\":100,\"time\":\"2026-01-02T03:04:06.000Z\",\"loss\":\"NaN\"}"));
        var rows = MetricsLog.ReadAll(path);
        Assert.That(rows.Select(r => r.Step), Is.EqualTo(new long[] { 50, 100 }));
        Assert.That(rows[0].Values["lr"], Is.EqualTo(2e-4));
        Assert.That(double.IsNaN(rows[1].Values["loss"]));
    }

    [Test]
    public void ResumeDropsTheLinesAfterTheCheckpointAndAppends()
    {
        using var temp = new TempFolder();
        string path = temp.File("log.jsonl");
        using (var log = MetricsLog.Create(path))
            foreach (long step in new long[] { 50, 100, 150, 200 })
                log.Write(step, Loss(step / 1000.0));
        // The run crashed after logging step 200 but its last checkpoint was at step 100.
        using (var log = MetricsLog.Resume(path, resumeStep: 100))
            log.Write(150, Loss(0.5));
        var rows = MetricsLog.ReadAll(path);
        Assert.That(rows.Select(r => r.Step), Is.EqualTo(new long[] { 50, 100, 150 }));
        Assert.That(rows.Select(r => r.Values["loss"]), Is.EqualTo(new[] { 0.05, 0.1, 0.5 }));
    }

    [Test]
    public void CreateReplacesAnOldLogAndResumeCreatesAMissingOne()
    {
        using var temp = new TempFolder();
        string path = temp.File("log.jsonl");
        using (var log = MetricsLog.Create(path)) log.Write(1, Loss(1));
        using (var log = MetricsLog.Create(path)) log.Write(2, Loss(2));
        Assert.That(MetricsLog.ReadAll(path).Select(r => r.Step), Is.EqualTo(new long[] { 2 }));
        string other = temp.File("sub/other.jsonl");
        using (var log = MetricsLog.Resume(other, 10)) log.Write(11, Loss(3));
        Assert.That(MetricsLog.ReadAll(other).Select(r => r.Step), Is.EqualTo(new long[] { 11 }));
    }

    [Test]
    public void ReservedNamesAndCorruptLinesAreRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("log.jsonl");
        using (var log = MetricsLog.Create(path))
            Assert.Throws<ArgumentException>(() => log.Write(1, [new("step", 1)]));
        File.WriteAllText(path, "not json\n");
        Assert.Throws<InvalidDataException>(() => MetricsLog.Resume(path, 5).Dispose());
    }
}
