namespace ConsistencyModels.IO;

/// <summary>One tensor entry of a validated safetensors header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions (all ≥ 0; empty for a scalar).</param>
/// <param name="Begin">Start of the data, in bytes from the start of the data section.</param>
/// <param name="End">End (exclusive) of the data, in bytes from the start of the data section.</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of bytes of data (End − Begin).</summary>
    public long ByteLength => End - Begin;

    /// <summary>The shape as "[a, b, c]" for messages.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
