using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ConsistencyModels.IO;

/// <summary>
/// A libtorch-free reader of the safetensors format (github:huggingface/safetensors): an unsigned 64-bit little-endian
/// header length N, N bytes of UTF-8 JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
/// plus an optional "__metadata__" string map, then the raw little-endian tensor data, offsets relative to the start of
/// the data section. The whole file is held in memory (model files are megabytes); tensors are read as raw bytes or
/// converted to float32 (from F32, F16, BF16 or F64, exactly as libtorch's <c>to(float32)</c> rounds).
/// </summary>
/// <remarks>
/// The header is validated before any data is used (model files come from strangers): header length bound, UTF-8,
/// JSON structure, duplicate names, dtypes, non-negative dimensions, byte sizes = element count × dtype size, and offsets
/// that tile the data section exactly (no gaps, no overlap, nothing outside it). Any violation throws
/// <see cref="SafetensorsFormatException"/> (a <see cref="ModelFormatException"/>) with a one-line message naming the
/// source and the problem. The TorchSharp reader (ConsistencyModels' <c>Safetensors</c>) parses headers with this class.
/// </remarks>
public sealed class SafetensorsFile
{
    /// <summary>Upper bound on the JSON header length (the reference implementation uses 100 MB as well).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Key of the free-form string map in the header.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] bytes;
    private readonly int offset;
    private readonly Dictionary<string, SafetensorsTensorInfo> byName;

    private SafetensorsFile(byte[] bytes, int offset, SafetensorsHeader header, string source)
    {
        this.bytes = bytes;
        this.offset = offset;
        Header = header;
        Source = source;
        byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The name of the file or stream, as used in messages.</summary>
    public string Source { get; }

    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>The "__metadata__" map (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>The tensor entries in data-offset order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => Header.Tensors;

    /// <summary>The tensor names in data-offset order.</summary>
    public IEnumerable<string> Names => Header.Tensors.Select(t => t.Name);

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The entry of tensor <paramref name="name"/>, or false.</summary>
    public bool TryGetInfo(string name, out SafetensorsTensorInfo info) => byName.TryGetValue(name, out info!);

    /// <summary>The entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor (the message names the source).</exception>
    public SafetensorsTensorInfo Info(string name) =>
        byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Source}: there is no tensor named '{name}'.");

    /// <summary>The raw little-endian bytes of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = Info(name);
        return bytes.AsSpan(checked(offset + (int)(Header.DataStart + info.Begin)), (int)info.ByteLength);
    }

    /// <summary>Tensor <paramref name="name"/> converted to float32, row-major (a new array).</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    /// <exception cref="ModelFormatException">The tensor is not of a floating type (F32, F16, BF16, F64).</exception>
    public float[] ReadFloat32(string name)
    {
        var info = Info(name);
        var result = new float[checked((int)(info.ByteLength / info.DType.ByteSize()))];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Converts tensor <paramref name="name"/> to float32 into <paramref name="destination"/> (its element count long).</summary>
    /// <exception cref="KeyNotFoundException">There is no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="ModelFormatException">The tensor is not of a floating type (F32, F16, BF16, F64).</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = Info(name);
        long count = info.ByteLength / info.DType.ByteSize();
        if (destination.Length != count)
            throw new ArgumentException($"Tensor '{name}' has {count} elements but the destination holds {destination.Length}.", nameof(destination));
        var src = GetBytes(name);
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                if (BitConverter.IsLittleEndian)
                    MemoryMarshal.Cast<byte, float>(src).CopyTo(destination);
                else
                    for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case SafetensorsDType.BF16:
                // bfloat16 is the upper half of a float32: widening is exact.
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            default:
                throw new ModelFormatException($"{Source}: tensor '{name}' is {info.DType.HeaderName()}, not a floating type (F32, F16, BF16 or F64).");
        }
    }

    // ---- opening ----------------------------------------------------------------------------------------

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsFile Open(string path)
    {
        using var fs = OpenRead(path);
        return Read(fs, path);
    }

    /// <summary>Validates safetensors content held in <paramref name="bytes"/> (not copied: do not change it afterwards);
    /// <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors.</exception>
    public static SafetensorsFile FromBytes(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(source);
        return new SafetensorsFile(bytes, 0, ParseFile(bytes, source), source);
    }

    /// <summary>Reads safetensors content from <paramref name="stream"/>, from its current position to its end, and
    /// validates it; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors (or larger than 2 GB).</exception>
    public static SafetensorsFile Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        byte[] data;
        if (stream.CanSeek)
        {
            long length = stream.Length - stream.Position;
            if (length > Array.MaxLength)
                throw new SafetensorsFormatException(source, $"it is {length} bytes long; this reader holds a file in memory and takes at most {Array.MaxLength}.");
            data = new byte[length];
            ReadExactly(stream, data, source);
        }
        else
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            data = ms.ToArray();
        }
        return FromBytes(data, source);
    }

    /// <summary>Reads and validates only the header of the file at <paramref name="path"/> (the data is not read).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var fs = OpenRead(path);
        return ReadHeader(fs, path);
    }

    /// <summary>Reads and validates a header from a seekable stream positioned at the start of the safetensors data
    /// (the data is assumed to extend to the end of the stream); <paramref name="source"/> names it in messages.
    /// Leaves the stream positioned after the header.</summary>
    /// <exception cref="ArgumentException">The stream is not seekable.</exception>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors.</exception>
    public static SafetensorsHeader ReadHeader(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("The stream must be seekable (its length is needed to validate the header); copy it to a MemoryStream first.", nameof(stream));
        long available = stream.Length - stream.Position;
        Span<byte> lenBytes = stackalloc byte[8];
        if (available >= 8)
            ReadExactly(stream, lenBytes, source);
        int n = CheckHeaderLength(lenBytes, available, source);
        var json = new byte[n];
        ReadExactly(stream, json, source);
        return ParseHeader(json, available - 8 - n, source);
    }

    internal static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    internal static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new SafetensorsFormatException(source, "the file ended early (truncated).", e);
        }
    }

    private static SafetensorsHeader ParseFile(ReadOnlySpan<byte> file, string source)
    {
        int n = CheckHeaderLength(file.Length >= 8 ? file[..8] : default, file.Length, source);
        return ParseHeader(file.Slice(8, n), file.Length - 8L - n, source);
    }

    // The 8-byte length field (empty span: fewer than 8 bytes available) checked against the bytes that follow it.
    private static int CheckHeaderLength(ReadOnlySpan<byte> lengthField, long available, string source)
    {
        if (available < 8)
            throw new SafetensorsFormatException(source, $"it is {available} bytes long, shorter than the 8-byte header length field.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        if (n == 0)
            throw new SafetensorsFormatException(source, "the header length is 0 (expected a JSON object).");
        if (n > MaxHeaderLength)
            throw new SafetensorsFormatException(source, $"the header length {n} exceeds the limit of {MaxHeaderLength} bytes.");
        if ((long)n > available - 8)
            throw new SafetensorsFormatException(source, $"the header length {n} exceeds the {available - 8} bytes that follow the length field (truncated file?).");
        return (int)n;
    }

    // ---- header parsing -------------------------------------------------------------------------------

    private static SafetensorsHeader ParseHeader(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        SafetensorsFormatException Bad(string problem) => new(source, problem);

        string text;
        try
        {
            text = StrictUtf8.GetString(json);
        }
        catch (DecoderFallbackException e)
        {
            throw new SafetensorsFormatException(source, "the header is not valid UTF-8.", e);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(source, $"the header is not valid JSON ({OneLine(e.Message)}).", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad($"the header must be a JSON object, got {root.ValueKind}.");

            var names = new HashSet<string>(StringComparer.Ordinal);
            var infos = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!names.Add(prop.Name))
                    throw Bad($"the header has the key '{prop.Name}' twice.");
                if (prop.Name == MetadataKey)
                    ParseMetadata(prop.Value, metadata, Bad);
                else
                    infos.Add(ParseTensor(prop.Name, prop.Value, Bad));
            }

            // Offsets must tile [0, dataLength) exactly: sorted by begin, each starting where the previous ended.
            infos.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            string? previous = null;
            foreach (var info in infos)
            {
                if (info.Begin < expected)
                    throw Bad($"the data of tensor '{info.Name}' (bytes {info.Begin}..{info.End}) overlaps tensor '{previous}' (which ends at {expected}).");
                if (info.Begin > expected)
                    throw Bad($"there is a gap of {info.Begin - expected} unused bytes before tensor '{info.Name}' (offset {expected}..{info.Begin}).");
                if (info.End > dataLength)
                    throw Bad($"the data of tensor '{info.Name}' (bytes {info.Begin}..{info.End}) lies outside the {dataLength}-byte data section.");
                expected = info.End;
                previous = info.Name;
            }
            if (expected != dataLength)
                throw Bad($"the data section is {dataLength} bytes but the tensors cover only {expected} bytes.");
            return new SafetensorsHeader(infos, metadata, json.Length);
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, Func<string, SafetensorsFormatException> bad)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw bad($"'{MetadataKey}' must be an object of strings, got {value.ValueKind}.");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw bad($"'{MetadataKey}' entry '{p.Name}' must be a string, got {p.Value.ValueKind}.");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw bad($"'{MetadataKey}' has the key '{p.Name}' twice.");
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string name, JsonElement value, Func<string, SafetensorsFormatException> bad)
    {
        if (name.Length == 0)
            throw bad("a tensor has an empty name.");
        if (value.ValueKind != JsonValueKind.Object)
            throw bad($"tensor '{name}' must be an object with dtype, shape and data_offsets, got {value.ValueKind}.");
        string? dtypeName = null;
        long[]? shape = null, offsets = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (!seen.Add(p.Name))
                throw bad($"tensor '{name}' has the field '{p.Name}' twice.");
            switch (p.Name)
            {
                case "dtype":
                    if (p.Value.ValueKind != JsonValueKind.String)
                        throw bad($"tensor '{name}': dtype must be a string, got {p.Value.ValueKind}.");
                    dtypeName = p.Value.GetString();
                    break;
                case "shape":
                    shape = ReadIntegers(p.Value, name, "shape", bad);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(p.Value, name, "data_offsets", bad);
                    break;
                default:
                    throw bad($"tensor '{name}' has the unknown field '{p.Name}' (expected dtype, shape, data_offsets).");
            }
        }
        if (dtypeName is null) throw bad($"tensor '{name}' has no dtype.");
        if (shape is null) throw bad($"tensor '{name}' has no shape.");
        if (offsets is null) throw bad($"tensor '{name}' has no data_offsets.");
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw bad($"tensor '{name}' has the unsupported dtype '{dtypeName}' (expected one of {string.Join(", ", Enum.GetValues<SafetensorsDType>().Select(d => d.HeaderName()))}).");
        if (shape.Length > 16)
            throw bad($"tensor '{name}' has {shape.Length} dimensions (at most 16 supported).");
        if (offsets.Length != 2)
            throw bad($"tensor '{name}': data_offsets must be [begin, end], got {offsets.Length} numbers.");
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw bad($"tensor '{name}': data_offsets end {end} is before begin {begin}.");
        long byteCount;
        try
        {
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            byteCount = checked(count * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] is too large.");
        }
        if (byteCount != end - begin)
            throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype.HeaderName()} needs {byteCount} bytes but data_offsets [{begin}, {end}] give {end - begin}.");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement value, string tensor, string field, Func<string, SafetensorsFormatException> bad)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw bad($"tensor '{tensor}': {field} must be an array of integers, got {value.ValueKind}.");
        var result = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var e in value.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v))
                throw bad($"tensor '{tensor}': {field} must contain integers, got '{e.GetRawText()}'.");
            if (v < 0)
                throw bad($"tensor '{tensor}': {field} must not contain negative numbers, got {v}.");
            result[i++] = v;
        }
        return result;
    }
}
