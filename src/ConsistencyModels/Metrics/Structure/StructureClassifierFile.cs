using System.Text;
using ConsistencyModels.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// Saves and loads structure classifiers: FILE.safetensors with the weights (names as in the state_dict) and the
/// <see cref="StructureClassifierMetadata"/> JSON in "__metadata__"[<see cref="MetadataKey"/>], plus the same JSON
/// beside it as FILE.json for people. Both writes are atomic (temporary file + rename).
/// </summary>
public static class StructureClassifierFile
{
    /// <summary>Key of the metadata JSON in the safetensors "__metadata__" map.</summary>
    public const string MetadataKey = "cm.structure_classifier";

    /// <summary>Writes <paramref name="classifier"/> and <paramref name="metadata"/> to <paramref name="path"/> (and its .json).</summary>
    /// <exception cref="ArgumentException">The metadata's configuration is not the classifier's, or the path ends in .json.</exception>
    public static void Save(string path, StructureClassifier classifier, StructureClassifierMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Config.ToJsonText() != classifier.Config.ToJsonText())
            throw new ArgumentException("metadata.Config does not describe the classifier.", nameof(metadata));
        string jsonPath = Path.ChangeExtension(path, ".json");
        if (string.Equals(Path.GetFullPath(jsonPath), Path.GetFullPath(path), StringComparison.Ordinal))
            throw new ArgumentException($"The classifier path '{path}' must not end in .json (the metadata JSON is written beside it).", nameof(path));
        string json = metadata.ToJson();
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in classifier.state_dict())
            tensors[name] = t.detach().cpu();
        Safetensors.Save(path, tensors, new Dictionary<string, string> { [MetadataKey] = json });
        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, $".{Path.GetFileName(jsonPath)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(tmp, json + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(tmp, jsonPath, overwrite: true);
    }

    /// <summary>Loads a classifier onto <paramref name="device"/> (CPU if null), in eval mode.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ModelFormatException">Not a structure classifier, corrupt, or tensors that do not match its configuration.</exception>
    public static (StructureClassifier Classifier, StructureClassifierMetadata Metadata) Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Classifier file '{path}' does not exist.", path);
        using var content = Safetensors.Load(path);
        if (!content.Metadata.TryGetValue(MetadataKey, out string? json))
            throw new ModelFormatException(content.Metadata.ContainsKey(ModelFile.MetadataKey)
                ? $"{path}: is a generator model, not a structure classifier (train one with cm train-classifier)."
                : $"{path}: not a structure classifier of this project: the safetensors metadata has no '{MetadataKey}' entry.");
        var metadata = StructureClassifierMetadata.FromJson(json, path);
        var classifier = new StructureClassifier(metadata.Config);
        try
        {
            var state = classifier.state_dict();
            foreach (var (name, target) in state)
            {
                if (!content.Tensors.TryGetValue(name, out var t))
                    throw new ModelFormatException($"{path}: tensor '{name}' required by the classifier configuration is missing.");
                if (!t.shape.SequenceEqual(target.shape) || !t.is_floating_point())
                    throw new ModelFormatException($"{path}: tensor '{name}' is [{string.Join(", ", t.shape)}] {t.dtype}, the configuration needs [{string.Join(", ", target.shape)}] floating.");
            }
            foreach (string name in content.Tensors.Keys)
                if (!state.ContainsKey(name))
                    throw new ModelFormatException($"{path}: the file has tensor '{name}' that the classifier configuration does not use.");
            using (no_grad())
                foreach (var (name, target) in state)
                    target.copy_(content.Tensors[name]);
            if (device is not null) classifier.to(device);
            classifier.eval();
            return (classifier, metadata);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }
}
