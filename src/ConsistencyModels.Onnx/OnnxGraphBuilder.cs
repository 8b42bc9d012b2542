using Google.Protobuf;
using Proto = global::Onnx;

namespace ConsistencyModels.Onnx;

/// <summary>
/// Appends ONNX nodes and initializers to a graph with unique value names; small helpers over the classes generated
/// from onnx.proto. Constants become initializers (no Constant nodes), so importers that fold nothing still see
/// plain weights.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private int counter;

    public Proto.GraphProto Graph { get; } = new() { Name = "consistency_model" };

    /// <summary>The op types used, for the docs' table and the tests.</summary>
    public SortedSet<string> OpTypes { get; } = new(StringComparer.Ordinal);

    public string Fresh(string hint) => $"{hint}/{counter++}";

    /// <summary>Adds a node with one output (named after <paramref name="output"/>, or fresh) and returns its name.</summary>
    public string Node(string opType, string[] inputs, string? output = null, params Proto.AttributeProto[] attributes)
    {
        output ??= Fresh(opType);
        var node = new Proto.NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        OpTypes.Add(opType);
        return output;
    }

    /// <summary>Adds a node with several outputs and returns their names.</summary>
    public string[] NodeN(string opType, string[] inputs, int outputs, params Proto.AttributeProto[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(_ => Fresh(opType)).ToArray();
        var node = new Proto.NodeProto { OpType = opType, Name = names[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        OpTypes.Add(opType);
        return names;
    }

    /// <summary>A float32 initializer (little-endian raw data).</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, long[] dims)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"initializer {name}: {data.Length} values do not fill shape [{string.Join(", ", dims)}].");
        var bytes = new byte[data.Length * sizeof(float)];
        for (int i = 0; i < data.Length; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), data[i]); // little-endian on every .NET platform we run
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian");
        var t = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An int64 initializer.</summary>
    public string InitializerInt64(string name, long[] data, long[] dims)
    {
        var t = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        t.Int64Data.AddRange(data);
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A shared float32 scalar constant (shape []).</summary>
    public string Scalar(float value)
    {
        string key = "f:" + BitConverter.SingleToInt32Bits(value);
        if (!constants.TryGetValue(key, out var name))
            constants[key] = name = Initializer($"const/{constants.Count}", [value], []);
        return name;
    }

    /// <summary>A shared int64 vector constant (shape [n]), or a scalar when <paramref name="scalar"/>.</summary>
    public string Int64s(long[] values, bool scalar = false)
    {
        string key = (scalar ? "s:" : "i:") + string.Join(",", values);
        if (!constants.TryGetValue(key, out var name))
            constants[key] = name = InitializerInt64($"const/{constants.Count}", values, scalar ? [] : [values.Length]);
        return name;
    }

    /// <summary>A shared float32 vector constant (shape [n]).</summary>
    public string Floats(float[] values)
    {
        string key = "v:" + string.Join(",", values.Select(BitConverter.SingleToInt32Bits));
        if (!constants.TryGetValue(key, out var name))
            constants[key] = name = Initializer($"const/{constants.Count}", values, [values.Length]);
        return name;
    }

    public static Proto.AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Int, I = value };

    public static Proto.AttributeProto Ints(string name, params long[] values)
    {
        var a = new Proto.AttributeProto { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static Proto.AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Float, F = value };

    public static Proto.AttributeProto String(string name, string value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A graph input or output of element type <paramref name="elemType"/> with named (dynamic) or fixed dims.</summary>
    public static Proto.ValueInfoProto Value(string name, Proto.TensorProto.Types.DataType elemType, params object[] dims)
    {
        var shape = new Proto.TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s
                ? new Proto.TensorShapeProto.Types.Dimension { DimParam = s }
                : new Proto.TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new Proto.ValueInfoProto
        {
            Name = name,
            Type = new Proto.TypeProto { TensorType = new Proto.TypeProto.Types.Tensor { ElemType = (int)elemType, Shape = shape } },
        };
    }
}
