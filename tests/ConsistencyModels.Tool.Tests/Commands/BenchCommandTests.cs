using System.Text.Json.Nodes;
using ConsistencyModels.IO;
using ConsistencyModels.Tool.Commands;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>cm bench</c> prints a Markdown row and writes JSON (no timing assertions: the machine is shared).</summary>
public class BenchCommandTests : SingleThreadFixture
{
    [Test]
    public void GenerationPrintsATableAndWritesJson()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.RunReal("bench", "--config", "tiny", "--size", "16", "--frames", "3", "--warmup", "1", "--steps", "2",
            "--batch", "2", "--json", tmp.File("b.json"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("| model | size | batch | steps | threads | ms/frame median |"));
        Assert.That(r.Stdout, Does.Match(@"\| tiny +\| +16 \| +2 \| +2 \| +1 \| +[0-9.]+ \|"));
        var json = JsonNode.Parse(File.ReadAllText(tmp.File("b.json")))!.AsObject();
        Assert.That((string)json["mode"]!, Is.EqualTo("generate"));
        Assert.That((int)json["batch"]!, Is.EqualTo(2));
        Assert.That((double)json["textures_per_second"]!, Is.GreaterThan(0));
        Assert.That((double)json["ms_per_frame_p95"]!, Is.GreaterThanOrEqualTo((double)json["ms_per_frame_median"]!));
        Assert.That((double)json["peak_rss_mib"]!, Is.GreaterThan(10), "the process holds at least libtorch and the model");
        var stages = json["stage_ms_median"]!.AsObject();
        Assert.That(stages.Select(s => s.Key), Is.EqualTo(new[] { "noise", "forward", "copy" }));
        Assert.That((string)json["command"]!, Is.EqualTo("cm bench --config tiny --size 16 --steps 2 --batch 2 --frames 3 --warmup 1"));
    }

    [Test]
    public void TrainModeTimesIterations()
    {
        using var tmp = new TempFolder();
        var r = CliHarness.RunReal("bench", "--config", "tiny", "--size", "16", "--frames", "2", "--warmup", "1", "--batch", "2",
            "--train", "--json", tmp.File("b.json"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("| model | crop | batch | threads | ms/iter median |"));
        var json = JsonNode.Parse(File.ReadAllText(tmp.File("b.json")))!.AsObject();
        Assert.That((string)json["mode"]!, Is.EqualTo("train"));
        Assert.That((double)json["iterations_per_second"]!, Is.GreaterThan(0));
        Assert.That(json["stage_ms_median"]!.AsObject().Select(s => s.Key), Is.EqualTo(new[] { "data", "forward", "backward", "adam" }));
    }

    [Test]
    public void ModelFileIsBenchmarked()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var r = CliHarness.RunReal("bench", "--model", model, "--size", "16", "--frames", "2", "--warmup", "0");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain(model));
    }

    [Test]
    public void TimingStatistics()
    {
        var t = BenchTimings.Of([5, 1, 3, 2, 4]);
        Assert.That(t, Is.EqualTo(new BenchTimings(3, 5, 3)));
        var even = BenchTimings.Of([4, 1, 2, 3]);
        Assert.That(even.Median, Is.EqualTo(2.5));
        // Nearest rank: ⌈0.95·20⌉ = 19th smallest of 1..20.
        Assert.That(BenchTimings.Of(Enumerable.Range(1, 20).Select(i => (double)i).ToArray()).P95, Is.EqualTo(19));
    }
}
