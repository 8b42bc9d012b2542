using System.Text;
using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.IO;

/// <summary>
/// Saves and loads models: model.safetensors holding the raw U-Net's parameters and buffers (names as in its
/// state_dict) with the <see cref="ModelMetadata"/> JSON in "__metadata__"["cm.metadata"], plus the same JSON
/// beside it as model.json for people. Writes are atomic (temporary file + rename).
/// </summary>
public static class ModelFile
{
    /// <summary>Key of the metadata JSON in the safetensors "__metadata__" map.</summary>
    public const string MetadataKey = ModelWeights.MetadataKey;

    /// <summary>Builds a freshly initialized model for <paramref name="metadata"/>: a new <see cref="UNet"/> in
    /// <see cref="EdmPrecond"/> (teacher) or <see cref="ConsistencyPrecond"/> with ε = SigmaMin (consistency).</summary>
    /// <exception cref="ArgumentException">The metadata is invalid.</exception>
    public static PreconditionedNetwork CreateModel(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        metadata.Validate();
        var net = new UNet(metadata.Config);
        return metadata.Kind == ModelKind.Teacher
            ? new EdmPrecond(net, metadata.SigmaData)
            : new ConsistencyPrecond(net, metadata.SigmaMin, metadata.SigmaData);
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s network and <paramref name="metadata"/> to <paramref name="path"/> and the
    /// JSON to the sibling &lt;name&gt;.json, both atomically. <paramref name="storeAs"/> optionally stores floating
    /// tensors as Float16/BFloat16 to halve the file (loading converts back to the network's type).
    /// </summary>
    /// <exception cref="ArgumentException">The metadata does not describe the model (kind, config, σ_data, ε) or is invalid.</exception>
    public static void Save(string path, PreconditionedNetwork model, ModelMetadata metadata, ScalarType? storeAs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        CheckDescribes(metadata, model);
        if (storeAs is not null && storeAs is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ArgumentException($"storeAs must be a floating type (Float32, Float16, BFloat16, Float64), got {storeAs}.", nameof(storeAs));
        string jsonPath = Path.ChangeExtension(path, ".json");
        if (string.Equals(Path.GetFullPath(jsonPath), Path.GetFullPath(path), StringComparison.Ordinal))
            throw new ArgumentException($"The model path '{path}' must not end in .json (the metadata JSON is written beside it).", nameof(path));

        string json = metadata.ToJson();
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.Net.state_dict())
            tensors[name] = storeAs is { } st && t.is_floating_point() ? t.detach().to(st) : t.detach();
        Safetensors.Save(path, tensors, new Dictionary<string, string> { [MetadataKey] = json });
        AtomicFile.Write(jsonPath, s => s.Write(Encoding.UTF8.GetBytes(json + "\n")));
    }

    /// <summary>Loads a model file onto <paramref name="device"/> (CPU if null), in eval mode. A training checkpoint
    /// (checkpoints/step-*.safetensors) loads too, as its sampling EMA weights: a run can be sampled while it trains.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt, its metadata invalid, or its tensors do not
    /// match the configuration (the message names the first mismatching tensor and both shapes).</exception>
    public static LoadedModel Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new ModelFormatException($"'{path}' is a directory, expected a .safetensors model file.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Load(fs, path, device);
    }

    /// <summary>Loads a model from a stream (e.g. an embedded resource); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load(string, Device?)"/>.</exception>
    public static LoadedModel Load(Stream stream, string source, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var content = Safetensors.Load(stream, source);
        var metadata = ReadMetadata(content.Metadata, source);
        IReadOnlyDictionary<string, Tensor> weights = content.Tensors;
        (Dictionary<string, Tensor> Weights, long Step)? checkpoint;
        try
        {
            checkpoint = Training.TrainingCheckpoint.SampledWeights(content.Tensors, content.Metadata, source);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(e.Message, e);
        }
        if (checkpoint is { } c)
        {
            // A training checkpoint loads as the model it would save: its EMA weights, at its step.
            weights = c.Weights;
            metadata = metadata with { TrainingIterations = c.Step };
        }
        CheckPlausibleSize(metadata.Config, weights, source);
        PreconditionedNetwork model;
        try
        {
            model = CreateModel(metadata);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{source}: {e.Message}", e);
        }
        try
        {
            LoadState(model.Net, weights, source);
            if (device is not null)
                model.to(device);
            model.eval();
            return new LoadedModel(model, metadata);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the metadata of a model file (the header is validated, the weights are not read).</summary>
    /// <exception cref="ModelFormatException">The file is corrupt or has no valid metadata.</exception>
    public static ModelMetadata ReadMetadata(string path)
    {
        if (Directory.Exists(path))
            throw new ModelFormatException($"'{path}' is a directory, expected a .safetensors model file.");
        var header = Safetensors.ReadHeader(path);
        return ReadMetadata(header.Metadata, path);
    }

    /// <summary>
    /// Copies <paramref name="tensors"/> into <paramref name="net"/>'s parameters and buffers after checking that
    /// the names and shapes match exactly (floating types are converted; integer or bool data for a floating
    /// parameter is rejected).
    /// </summary>
    /// <exception cref="ModelFormatException">A tensor is missing, unexpected, has another shape, or holds NaN or
    /// infinite values; the message names the first such tensor.</exception>
    public static void LoadState(UNet net, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(tensors);
        var state = net.state_dict();
        static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
        foreach (var (name, target) in state)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new ModelFormatException($"{source}: tensor '{name}' (shape {Shape(target)}) required by the network configuration is missing from the file.");
            if (!t.shape.SequenceEqual(target.shape))
                throw new ModelFormatException($"{source}: tensor '{name}' has shape {Shape(t)} in the file but the network configuration needs {Shape(target)}.");
            if (target.is_floating_point() != t.is_floating_point())
                throw new ModelFormatException($"{source}: tensor '{name}' has type {t.dtype} in the file but the network needs {target.dtype}.");
            if (t.is_floating_point() && NonFiniteCount(t) is var bad and > 0)
                throw new ModelFormatException(
                    $"{source}: tensor '{name}' holds {bad} NaN or infinite value(s) of {t.numel()}: the weights are broken (did training diverge?); use an earlier checkpoint or retrain.");
        }
        foreach (string name in tensors.Keys.Order(StringComparer.Ordinal))
            if (!state.ContainsKey(name))
                throw new ModelFormatException($"{source}: the file has tensor '{name}' (shape {Shape(tensors[name])}) that the network configuration does not use.");
        using (no_grad())
            foreach (var (name, target) in state)
                target.copy_(tensors[name]);
    }

    private static long NonFiniteCount(Tensor t)
    {
        using var finite = isfinite(t);
        using var count = finite.logical_not().sum();
        return count.item<long>();
    }

    /// <summary>
    /// Rejects metadata whose network is far larger than the file before building it: a tampered config (say a
    /// million channels) would otherwise allocate terabytes before the shape check could say no. Moderate
    /// mismatches pass here and get the shape check's message, which names the tensor.
    /// </summary>
    private static void CheckPlausibleSize(UNetConfig config, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        const long slack = 16_000_000; // building a network of this many weights costs well under a second
        long have = 0;
        foreach (var t in tensors.Values) have += t.numel();
        long need = config.MinimumParameterCount();
        if (need > slack && need / 16 > have)
            throw new ModelFormatException(
                $"{source}: the metadata describes a network with at least {need:N0} weights, but the file holds only {have:N0}: metadata and weights do not belong together.");
    }

    private static ModelMetadata ReadMetadata(IReadOnlyDictionary<string, string> map, string source) => ModelWeights.ReadMetadata(map, source);

    private static void CheckDescribes(ModelMetadata metadata, PreconditionedNetwork model)
    {
        metadata.Validate();
        var expectedKind = model switch
        {
            EdmPrecond => ModelKind.Teacher,
            ConsistencyPrecond => ModelKind.Consistency,
            _ => throw new ArgumentException($"Unsupported model type {model.GetType().Name} (expected EdmPrecond or ConsistencyPrecond).", nameof(model)),
        };
        if (metadata.Kind != expectedKind)
            throw new ArgumentException($"metadata.Kind is {metadata.Kind} but the model is a {model.GetType().Name} ({expectedKind}).", nameof(metadata));
        if (!metadata.Config.Equals(model.Net.Config))
            throw new ArgumentException("metadata.Config does not equal the model's UNet configuration.", nameof(metadata));
        if (metadata.SigmaData != model.SigmaData)
            throw new ArgumentException($"metadata.SigmaData is {metadata.SigmaData} but the model uses {model.SigmaData}.", nameof(metadata));
        if (model is ConsistencyPrecond cp && cp.Epsilon != metadata.SigmaMin)
            throw new ArgumentException($"metadata.SigmaMin is {metadata.SigmaMin} but the consistency model's epsilon is {cp.Epsilon}.", nameof(metadata));
    }
}
