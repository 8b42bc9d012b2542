using ConsistencyModels.Imaging;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Sampling;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Renders the sample grids written during and after training.</summary>
internal static class SampleGrids
{
    /// <summary>Writes a grid of <paramref name="count"/> samples (classes cycling) to <paramref name="path"/>.</summary>
    public static void Write(PreconditionedNetwork model, ModelMetadata metadata, SamplerKind sampler, int steps,
        int count, int size, long seed, string path)
    {
        using var scope = NewDisposeScope();
        Tensor? labels = null;
        if (metadata.Config.ClassCount > 0)
        {
            var ids = new long[count];
            for (int i = 0; i < count; i++) ids[i] = i % metadata.Config.ClassCount;
            labels = tensor(ids);
        }
        bool wasTraining = model.training;
        var samples = ModelSampler.Generate(model, metadata, sampler, steps, count, size, size, labels, seed);
        if (wasTraining) model.train();
        var grid = ImageIO.Grid(samples.cpu(), (int)Math.Ceiling(Math.Sqrt(count)));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ImageIO.SavePng(grid, path);
    }
}
