using ConsistencyModels.IO;
using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.Tool.Tests.Commands;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Runs;

/// <summary>A training checkpoint loads as the model it would save (its EMA weights), so a run can be sampled while it trains.</summary>
public class CheckpointAsModelTests : SingleThreadFixture
{
    [Test]
    public void TheLastCheckpointLoadsAsTheSavedModel()
    {
        using var tmp = new TempFolder();
        string run = tmp.File("run");
        var stderr = new StringWriter();
        int code = Cli.Run(["train-teacher", "--data", TestModels.DataFolder, "--out", run, "--config", "tiny", "--crop", "16", "--batch", "2",
            "--iters", "3", "--checkpoint-every", "1", "--sample-every", "0"], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        string last = Path.Combine(run, "checkpoints", "step-00000003.safetensors"), earlier = Path.Combine(run, "checkpoints", "step-00000001.safetensors");

        using var saved = ModelFile.Load(Path.Combine(run, "model.safetensors"));
        using var fromLast = ModelFile.Load(last);
        using var fromEarlier = ModelFile.Load(earlier);
        Assert.That(fromLast.Metadata.TrainingIterations, Is.EqualTo(3));
        Assert.That(fromEarlier.Metadata.TrainingIterations, Is.EqualTo(1));
        Assert.That(fromLast.Metadata with { TrainingIterations = 0 }, Is.EqualTo(saved.Metadata with { TrainingIterations = 0 }));
        var a = saved.Net.state_dict();
        double lastDiff = 0, earlierDiff = 0;
        foreach (var (name, t) in fromLast.Net.state_dict())
        {
            using var d = (t - a[name]).abs().max();
            lastDiff = Math.Max(lastDiff, d.item<float>());
            using var e = (fromEarlier.Net.state_dict()[name] - a[name]).abs().max();
            earlierDiff = Math.Max(earlierDiff, e.item<float>());
        }
        Assert.That(lastDiff, Is.EqualTo(0), "the step-3 checkpoint's EMA is the saved model, bit for bit");
        Assert.That(earlierDiff, Is.GreaterThan(0), "the step-1 checkpoint holds other weights (or the comparison proves nothing)");

        // And the commands take it: a sample grid from the checkpoint.
        string png = tmp.File("grid.png");
        code = Cli.Run(["sample", "--model", last, "--count", "2", "--size", "16", "--out", png], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        Assert.That(File.Exists(png));

        // cm export --format safetensors turns the checkpoint into a model file: the saved model's metadata and weights,
        // bit for bit, and --init takes it.
        string exported = tmp.File("teacher.safetensors");
        code = Cli.Run(["export", "--format", "safetensors", "--model", last, "--out", exported], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        using (var fromFile = ModelFile.Load(exported))
        {
            Assert.That(fromFile.Metadata, Is.EqualTo(fromLast.Metadata));
            foreach (var (name, t) in fromFile.Net.state_dict())
            {
                Assert.That(t.dtype, Is.EqualTo(torch.ScalarType.Float32), name);
                using var d = (t - a[name]).abs().max();
                Assert.That(d.item<float>(), Is.EqualTo(0), name);
            }
        }
        code = Cli.Run(["train-teacher", "--init", exported, "--data", TestModels.DataFolder, "--out", tmp.File("more"), "--crop", "16", "--batch", "2",
            "--iters", "1", "--sample-every", "0"], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        Assert.That(ModelFile.ReadMetadata(tmp.File("more/model.safetensors")).TrainingIterations, Is.EqualTo(4));
    }
}
