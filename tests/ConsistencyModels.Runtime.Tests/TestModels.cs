using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Tests;

/// <summary>Tiny consistency models with random weights, written to a temporary folder (until the default model lands).</summary>
internal static class TestModels
{
    public static readonly string[] ClassNames = ["Stone", "Fabric", "Water"];

    public static ModelMetadata Metadata(ModelKind kind = ModelKind.Consistency, double[]? taus = null, UNetConfig? config = null) => new()
    {
        Kind = kind,
        Config = config ?? UNetConfig.Tiny with { ClassCount = 3 },
        ClassNames = (config?.ClassCount ?? 3) == 3 ? ClassNames : [],
        MultistepTaus = taus ?? [],
        Method = TrainingMethod.Cd,
    };

    /// <summary>Saves a tiny model whose every parameter got N(0, 0.1²) added (a fresh U-Net's output layer is zero,
    /// which would make every class and seed look alike) and returns the file path.</summary>
    public static string Save(string directory, ModelMetadata metadata, ulong seed = 1, string name = "tiny.safetensors")
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        using var model = ModelFile.CreateModel(metadata);
        Randomize(model, seed);
        ModelFile.Save(path, model, metadata);
        return path;
    }

    public static void Randomize(PreconditionedNetwork model, ulong seed)
    {
        using var generator = new Generator(seed);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var p in model.parameters())
            p.AddInPlace(randn(p.shape, generator: generator).Times(0.1));
    }

    public static string TempDirectory() =>
        Path.Combine(Path.GetTempPath(), "cm-runtime-test-" + Guid.NewGuid().ToString("N"));
}
