namespace ConsistencyModels.IO;

/// <summary>Element types of the safetensors format (the names used in the header's "dtype" field).</summary>
public enum SafetensorsDType
{
    /// <summary>"F64", IEEE double.</summary>
    F64,
    /// <summary>"F32", IEEE float.</summary>
    F32,
    /// <summary>"F16", IEEE half.</summary>
    F16,
    /// <summary>"BF16", bfloat16.</summary>
    BF16,
    /// <summary>"I64".</summary>
    I64,
    /// <summary>"I32".</summary>
    I32,
    /// <summary>"I16".</summary>
    I16,
    /// <summary>"I8".</summary>
    I8,
    /// <summary>"U8".</summary>
    U8,
    /// <summary>"BOOL", one byte per element.</summary>
    Bool,
}

/// <summary>Header names and sizes of <see cref="SafetensorsDType"/> (the TorchSharp types are in ConsistencyModels' <c>SafetensorsScalarTypes</c>).</summary>
public static class SafetensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 => 2,
        SafetensorsDType.I8 or SafetensorsDType.U8 or SafetensorsDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>The name written in the header ("F32", "BF16", "BOOL", ...).</summary>
    public static string HeaderName(this SafetensorsDType dtype) =>
        dtype == SafetensorsDType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Parses a header dtype name (exact, upper case); false if unknown.</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var d in Enum.GetValues<SafetensorsDType>())
            if (d.HeaderName() == name)
            {
                dtype = d;
                return true;
            }
        dtype = default;
        return false;
    }
}
