using ConsistencyModels.IO;
using ConsistencyModels.Networks.Description;
using static TorchSharp.torch;

namespace ConsistencyModels.Onnx;

/// <summary>Exports a model file or a loaded model: reads its weights (any stored precision) as float32 for <see cref="OnnxExporter"/>.</summary>
public static class ModelExport
{
    /// <summary>Builds the ONNX model of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model cannot be sampled in 1-2 steps (a diffusion teacher).</exception>
    public static OnnxExport Build(LoadedModel model, string producerVersion = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = model.Net.state_dict();
        return OnnxExporter.Build(model.Metadata, p => Values(tensors, p), producerVersion);
    }

    /// <summary>Loads <paramref name="path"/> (validated like every model file) and builds its ONNX model.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt.</exception>
    public static OnnxExport Build(string path, string producerVersion = "")
    {
        using var model = ModelFile.Load(path, CPU);
        return Build(model, producerVersion);
    }

    private static float[] Values(IDictionary<string, Tensor> tensors, LayerParameter p)
    {
        if (!tensors.TryGetValue(p.Name, out var t))
            throw new ArgumentException($"the network has no tensor '{p.Name}' (layer description out of date)");
        if (!t.shape.SequenceEqual(p.Shape))
            throw new ArgumentException($"tensor '{p.Name}' has shape [{string.Join(", ", t.shape)}], the layer description says {p}");
        using var scope = NewDisposeScope();
        return t.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
    }
}
