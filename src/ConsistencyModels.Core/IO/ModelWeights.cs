using ConsistencyModels.Networks.Description;

namespace ConsistencyModels.IO;

/// <summary>
/// A model file read without TorchSharp: its <see cref="ModelMetadata"/>, the <see cref="NetworkDescription"/> of its
/// configuration and its tensors (a validated <see cref="SafetensorsFile"/>), for inference backends that do not use
/// libtorch (the GL compute backend). The same file layout as ConsistencyModels' <c>ModelFile</c>: the raw U-Net's
/// parameters and buffers by state_dict name, the metadata JSON in "__metadata__"[<see cref="MetadataKey"/>].
/// </summary>
/// <remarks>
/// Loading checks what <c>ModelFile.Load</c> checks, against the description instead of a built network: every weight
/// the configuration needs is present with its shape and a floating type, no other tensor is present, and no value is
/// NaN or infinite; each problem is a <see cref="ModelFormatException"/> with a one-line message naming the source and
/// the first bad tensor.
/// </remarks>
public sealed class ModelWeights
{
    /// <summary>Key of the metadata JSON in the safetensors "__metadata__" map.</summary>
    public const string MetadataKey = "cm.metadata";

    private ModelWeights(ModelMetadata metadata, NetworkDescription network, SafetensorsFile file)
    {
        Metadata = metadata;
        Network = network;
        File = file;
    }

    /// <summary>The model's metadata (validated).</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The network of <see cref="ModelMetadata.Config"/>, op by op; its parameters name the tensors.</summary>
    public NetworkDescription Network { get; }

    /// <summary>The safetensors content (the tensors, validated against <see cref="Network"/>).</summary>
    public SafetensorsFile File { get; }

    /// <summary>The file or stream name used in messages.</summary>
    public string Source => File.Source;

    /// <summary>Tensor <paramref name="name"/> as float32 (a new array, row-major).</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    public float[] ReadFloat32(string name) => File.ReadFloat32(name);

    /// <summary>Converts tensor <paramref name="name"/> to float32 into <paramref name="destination"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    public void ReadFloat32(string name, Span<float> destination) => File.ReadFloat32(name, destination);

    /// <summary>Reads a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt, its metadata invalid or its tensors do not match it.</exception>
    public static ModelWeights Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new ModelFormatException($"'{path}' is a directory, expected a .safetensors model file.");
        return FromFile(SafetensorsFile.Open(path));
    }

    /// <summary>Reads a model held in <paramref name="bytes"/> (not copied); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load(string)"/>.</exception>
    public static ModelWeights Load(byte[] bytes, string source) => FromFile(SafetensorsFile.FromBytes(bytes, source));

    /// <summary>Reads a model from <paramref name="stream"/> (from its position to its end, e.g. an embedded resource);
    /// <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load(string)"/>.</exception>
    public static ModelWeights Load(Stream stream, string source) => FromFile(SafetensorsFile.Read(stream, source));

    /// <summary>Reads the default model embedded in the ConsistencyModels.DefaultModel assembly (<see cref="DefaultModelResource"/>).</summary>
    /// <exception cref="FileNotFoundException">The app does not carry the default model.</exception>
    public static ModelWeights LoadDefault()
    {
        using var stream = DefaultModelResource.Open();
        return Load(stream, DefaultModelResource.Source);
    }

    /// <summary>Validates <paramref name="file"/> as a model file: metadata, then every tensor against the description.</summary>
    /// <exception cref="ModelFormatException">See <see cref="Load(string)"/>.</exception>
    public static ModelWeights FromFile(SafetensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string source = file.Source;
        var metadata = ReadMetadata(file.Metadata, source);
        NetworkDescription network;
        try
        {
            network = NetworkDescription.FromConfig(metadata.Config);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{source}: {e.Message}", e);
        }
        var needed = new HashSet<string>(StringComparer.Ordinal);
        float[] buffer = [];
        foreach (var p in network.Parameters)
        {
            needed.Add(p.Name);
            string shape = $"[{string.Join(", ", p.Shape)}]";
            if (!file.TryGetInfo(p.Name, out var info))
                throw new ModelFormatException($"{source}: tensor '{p.Name}' (shape {shape}) required by the network configuration is missing from the file.");
            if (!info.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new ModelFormatException($"{source}: tensor '{p.Name}' has shape {info.ShapeText} in the file but the network configuration needs {shape}.");
            if (info.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F64))
                throw new ModelFormatException($"{source}: tensor '{p.Name}' has type {info.DType.HeaderName()} in the file but the network needs a floating type.");
            int count = checked((int)p.ElementCount);
            if (buffer.Length < count) buffer = new float[count];
            var values = buffer.AsSpan(0, count);
            file.ReadFloat32(p.Name, values);
            int bad = 0;
            foreach (float v in values)
                if (!float.IsFinite(v)) bad++;
            if (bad > 0)
                throw new ModelFormatException(
                    $"{source}: tensor '{p.Name}' holds {bad} NaN or infinite value(s) of {count}: the weights are broken (did training diverge?); use an earlier checkpoint or retrain.");
        }
        foreach (string name in file.Names.Order(StringComparer.Ordinal))
            if (!needed.Contains(name))
                throw new ModelFormatException($"{source}: the file has tensor '{name}' (shape {file.Info(name).ShapeText}) that the network configuration does not use.");
        return new ModelWeights(metadata, network, file);
    }

    /// <summary>The <see cref="ModelMetadata"/> stored under <see cref="MetadataKey"/> in a safetensors "__metadata__" map.</summary>
    /// <exception cref="ModelFormatException">There is no such entry or it is not valid metadata.</exception>
    public static ModelMetadata ReadMetadata(IReadOnlyDictionary<string, string> map, string source)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!map.TryGetValue(MetadataKey, out string? json))
            throw new ModelFormatException($"{source}: not a model file of this project: the safetensors metadata has no '{MetadataKey}' entry.");
        return ModelMetadata.FromJson(json, source);
    }
}
