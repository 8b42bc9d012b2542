using System.Text.Json;
using ConsistencyModels.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// A resumable training checkpoint: every network of the objective (prefixed by its role), the optimizer's
/// state (as an opaque byte tensor) and the step, in one safetensors file written atomically (temporary file,
/// then rename), so an interrupted run never leaves a broken file.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>File name of the newest checkpoint inside a run's checkpoints folder.</summary>
    public const string LatestFileName = "latest.safetensors";

    private const string OptimizerTensor = "__optimizer__";
    private const string MetadataKey = "cm.checkpoint";

    /// <summary>Writes the checkpoint atomically.</summary>
    public static void Save(string path, long step, string method, IReadOnlyDictionary<string, nn.Module> modules,
        optim.Optimizer optimizer, IReadOnlyDictionary<string, string> extraMetadata)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (prefix, module) in modules)
            foreach (var (name, t) in module.state_dict())
                tensors.Add(new(prefix + "." + name, t));
        using var ms = new MemoryStream();
        using (var writer = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        using var optimizerBytes = tensor(ms.ToArray(), dtype: ScalarType.Byte);
        tensors.Add(new(OptimizerTensor, optimizerBytes));
        var metadata = new Dictionary<string, string>(extraMetadata)
        {
            [MetadataKey] = JsonSerializer.Serialize(new CheckpointInfo(step, method, DateTime.UtcNow.ToString("O"))),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Safetensors.Write(path, tensors, metadata);
    }

    /// <summary>Restores every module and the optimizer; returns the step to resume at.</summary>
    public static long Load(string path, IReadOnlyDictionary<string, nn.Module> modules, optim.Optimizer optimizer)
    {
        using var file = Safetensors.Read(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: not a cm training checkpoint (no '{MetadataKey}' metadata).");
        var info = JsonSerializer.Deserialize<CheckpointInfo>(json)
            ?? throw new InvalidDataException($"{path}: unreadable checkpoint metadata.");
        using var _ = no_grad();
        foreach (var (prefix, module) in modules)
        {
            foreach (var (name, t) in module.state_dict())
            {
                string key = prefix + "." + name;
                if (!file.Contains(key))
                    throw new InvalidDataException($"{path}: checkpoint has no tensor '{key}' (was it written by another method or config?).");
                using var stored = file.GetTensor(key);
                if (!stored.shape.SequenceEqual(t.shape))
                    throw new InvalidDataException($"{path}: tensor '{key}' has shape [{string.Join(", ", stored.shape)}], the model expects [{string.Join(", ", t.shape)}].");
                t.copy_(stored);
            }
        }
        using var optimizerBytes = file.GetTensor(OptimizerTensor);
        using var ms = new MemoryStream(optimizerBytes.data<byte>().ToArray());
        using var reader = new BinaryReader(ms);
        optimizer.load_state_dict(reader);
        return info.Step;
    }

    /// <summary>Reads just the step and method of a checkpoint.</summary>
    public static (long Step, string Method) Peek(string path)
    {
        using var file = Safetensors.Read(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: not a cm training checkpoint.");
        var info = JsonSerializer.Deserialize<CheckpointInfo>(json) ?? throw new InvalidDataException($"{path}: unreadable checkpoint metadata.");
        return (info.Step, info.Method);
    }

    private sealed record CheckpointInfo(long Step, string Method, string SavedAt);
}
