namespace ConsistencyModels.IO;

/// <summary>The validated header of a safetensors file: tensor entries (sorted by data offset) and the
/// free-form string metadata.</summary>
public sealed class SafetensorsHeader
{
    internal SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long headerLength)
    {
        Tensors = tensors;
        Metadata = metadata;
        HeaderLength = headerLength;
    }

    /// <summary>Tensor entries in data-offset order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The "__metadata__" map (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Length in bytes of the JSON header (the first 8 bytes of the file hold it).</summary>
    public long HeaderLength { get; }

    /// <summary>Offset of the data section from the start of the file: 8 + <see cref="HeaderLength"/>.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Total bytes of the data section.</summary>
    public long DataLength => Tensors.Count == 0 ? 0 : Tensors[^1].End;
}
