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
    private const string Prefix = "step-";
    private const string Extension = ".safetensors";

    /// <summary>The file name of the checkpoint after <paramref name="step"/> steps: step-NNNNNNNN.safetensors.</summary>
    public static string FileName(long step) => $"{Prefix}{step:D8}{Extension}";

    /// <summary>The checkpoints in a folder with their steps, oldest first.</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string directory)
    {
        var found = new List<(long, string)>();
        if (!Directory.Exists(directory)) return found;
        foreach (var file in Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
        {
            var name = System.IO.Path.GetFileName(file);
            var digits = name[Prefix.Length..^Extension.Length];
            if (digits.Length > 0 && digits.All(char.IsAsciiDigit) && long.TryParse(digits, out long step))
                found.Add((step, file));
        }
        found.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return found;
    }

    /// <summary>The newest checkpoint in a folder, or null.</summary>
    public static string? FindLatest(string directory)
    {
        var all = List(directory);
        return all.Count == 0 ? null : all[^1].Path;
    }

    /// <summary>
    /// The newest checkpoint in a folder that reads as one (valid safetensors with checkpoint metadata), or null.
    /// Each newer file that does not is reported to <paramref name="skipped"/> with the reason, so a checkpoint
    /// broken on disk (truncated, overwritten) costs the steps since the previous one instead of the whole run.
    /// </summary>
    public static (string Path, long Step)? FindLatestValid(string directory, Action<string, string>? skipped = null)
    {
        var all = List(directory);
        for (int i = all.Count - 1; i >= 0; i--)
        {
            try
            {
                return (all[i].Path, Peek(all[i].Path).Step);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or JsonException or UnauthorizedAccessException)
            {
                skipped?.Invoke(all[i].Path, e.Message);
            }
        }
        return null;
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public static void Prune(string directory, int keep)
    {
        var all = List(directory);
        for (int i = 0; i < all.Count - Math.Max(1, keep); i++) File.Delete(all[i].Path);
    }

    private const string OptimizerTensor = "__optimizer__";
    private const string MetadataKey = "cm.checkpoint";

    /// <summary>Writes the checkpoint atomically.</summary>
    public static void Save(string path, long step, string method, IReadOnlyDictionary<string, nn.Module> modules,
        AdamOptimizer optimizer, IReadOnlyDictionary<string, string> extraMetadata)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (prefix, module) in modules)
            foreach (var (name, t) in module.state_dict())
                tensors.Add(prefix + "." + name, t);
        using var ms = new MemoryStream();
        using (var writer = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.SaveState(writer);
        using var optimizerBytes = tensor(ms.ToArray(), dtype: ScalarType.Byte);
        tensors.Add(OptimizerTensor, optimizerBytes);
        var metadata = new Dictionary<string, string>(extraMetadata)
        {
            [MetadataKey] = JsonSerializer.Serialize(new CheckpointInfo(step, method, DateTime.UtcNow.ToString("O"))),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Safetensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Restores every module and the optimizer; returns the step to resume at. Every tensor is checked (present,
    /// same shape) and the optimizer state found before anything is copied, so a checkpoint of another method or
    /// configuration leaves the modules as they were.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint of these modules.</exception>
    public static long Load(string path, IReadOnlyDictionary<string, nn.Module> modules, AdamOptimizer optimizer)
    {
        using var file = Safetensors.Load(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: not a cm training checkpoint (no '{MetadataKey}' metadata).");
        var info = JsonSerializer.Deserialize<CheckpointInfo>(json)
            ?? throw new InvalidDataException($"{path}: unreadable checkpoint metadata.");
        var copies = new List<(Tensor Target, Tensor Stored)>();
        foreach (var (prefix, module) in modules)
        {
            foreach (var (name, t) in module.state_dict())
            {
                string key = prefix + "." + name;
                if (!file.Tensors.TryGetValue(key, out var stored))
                    throw new InvalidDataException($"{path}: checkpoint has no tensor '{key}' (was it written by another method or config?).");
                if (!stored.shape.SequenceEqual(t.shape))
                    throw new InvalidDataException($"{path}: tensor '{key}' has shape [{string.Join(", ", stored.shape)}], the model expects [{string.Join(", ", t.shape)}].");
                copies.Add((t, stored));
            }
        }
        if (!file.Tensors.TryGetValue(OptimizerTensor, out var optimizerBytes))
            throw new InvalidDataException($"{path}: checkpoint has no optimizer state.");
        using (no_grad())
            foreach (var (target, stored) in copies)
                target.copy_(stored);
        using var ms = new MemoryStream(optimizerBytes.data<byte>().ToArray());
        using var reader = new BinaryReader(ms);
        optimizer.LoadState(reader);
        return info.Step;
    }

    /// <summary>The string metadata a checkpoint carries (its own key and what the trainer added).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = Safetensors.Load(path);
        return new Dictionary<string, string>(file.Metadata);
    }

    /// <summary>Reads just the step and method of a checkpoint.</summary>
    public static (long Step, string Method) Peek(string path)
    {
        using var file = Safetensors.Load(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: not a cm training checkpoint.");
        var info = JsonSerializer.Deserialize<CheckpointInfo>(json) ?? throw new InvalidDataException($"{path}: unreadable checkpoint metadata.");
        return (info.Step, info.Method);
    }

    /// <summary>
    /// The sampled network's weights inside a checkpoint's tensors (the "ema" module's, named as in the U-Net's
    /// state_dict) and the step, so a run can be sampled and evaluated while it trains; null when
    /// <paramref name="metadata"/> is not a checkpoint's.
    /// </summary>
    /// <exception cref="InvalidDataException">A checkpoint without sampling EMA weights, or unreadable metadata.</exception>
    public static (Dictionary<string, Tensor> Weights, long Step)? SampledWeights(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(MetadataKey, out var json)) return null;
        var info = JsonSerializer.Deserialize<CheckpointInfo>(json) ?? throw new InvalidDataException($"{source}: unreadable checkpoint metadata.");
        const string prefix = "ema.net.";
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
            if (name.StartsWith(prefix, StringComparison.Ordinal))
                weights[name[prefix.Length..]] = t;
        if (weights.Count == 0)
            throw new InvalidDataException($"{source}: this {info.Method} checkpoint (step {info.Step}) holds no sampling EMA weights ('{prefix}*') to sample from.");
        return (weights, info.Step);
    }

    private sealed record CheckpointInfo(long Step, string Method, string SavedAt);
}
