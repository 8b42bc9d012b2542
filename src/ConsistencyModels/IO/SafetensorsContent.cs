using static TorchSharp.torch;

namespace ConsistencyModels.IO;

/// <summary>The tensors (CPU) and metadata read from a safetensors file. Disposing it disposes the tensors;
/// call <c>Take</c> to keep one beyond that.</summary>
public sealed class SafetensorsContent : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    internal SafetensorsContent(SafetensorsHeader header, Dictionary<string, Tensor> tensors)
    {
        Header = header;
        this.tensors = tensors;
    }

    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>The "__metadata__" map.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;

    /// <summary>Removes a tensor from this container so it is not disposed with it; the caller owns it.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor Take(string name)
    {
        if (!tensors.Remove(name, out var t))
            throw new KeyNotFoundException($"No tensor named '{name}'.");
        return t;
    }

    /// <summary>Disposes the tensors still held.</summary>
    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
