using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>Consistency models with random weights for timing (speed does not depend on training).</summary>
internal static class BenchModels
{
    /// <summary>Writes a consistency model with <paramref name="config"/> and 8 classes (like the default model) to a temp file.</summary>
    public static string Save(UNetConfig config, string name)
    {
        var metadata = new ModelMetadata
        {
            Kind = ModelKind.Consistency,
            Config = config with { ClassCount = 8 },
            ClassNames = ["Stone", "Fabric", "Animal", "Paper", "Plant", "Sky", "Water", "Food"],
            Method = TrainingMethod.Unknown,
        };
        var dir = Path.Combine(Path.GetTempPath(), "cm-bench-models");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".safetensors");
        using var model = ModelFile.CreateModel(metadata);
        using (var generator = new Generator(7))
        using (NewDisposeScope())
        using (no_grad())
        {
            // A fresh U-Net's output layers are zero; small random offsets make every layer do real work.
            foreach (var p in model.parameters()) p.AddInPlace(randn(p.shape, generator: generator).Times(0.02));
        }
        ModelFile.Save(path, model, metadata);
        return path;
    }
}
