using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace ConsistencyModels.IO;

/// <summary>
/// Reader and writer for the safetensors format (github:huggingface/safetensors): an unsigned 64-bit
/// little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} plus an optional "__metadata__" string map, then the raw
/// little-endian tensor data, offsets relative to the start of the data section.
/// The reader validates the whole header before touching data (model files come from strangers):
/// header length bound, UTF-8, JSON structure, duplicate names, dtypes, non-negative dimensions, byte sizes
/// = element count × dtype size, and offsets that tile the data section exactly (no gaps, no overlap, nothing
/// outside it). Any violation throws <see cref="SafetensorsFormatException"/> naming the file and the problem.
/// </summary>
public static class Safetensors
{
    /// <summary>Upper bound on the JSON header length (the reference implementation uses 100 MB as well).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Key of the free-form string map in the header.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and validates the header of the file at <paramref name="path"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var fs = OpenRead(path);
        return ReadHeader(fs, path);
    }

    /// <summary>Reads and validates a header from a seekable stream positioned at the start of the safetensors data
    /// (the data is assumed to extend to the end of the stream); <paramref name="source"/> names it in messages.
    /// Leaves the stream positioned after the header.</summary>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors.</exception>
    public static SafetensorsHeader ReadHeader(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("The stream must be seekable (its length is needed to validate the header); copy it to a MemoryStream first.", nameof(stream));
        long available = stream.Length - stream.Position;
        if (available < 8)
            throw new SafetensorsFormatException(source, $"it is {available} bytes long, shorter than the 8-byte header length field.");
        Span<byte> lenBytes = stackalloc byte[8];
        ReadExactly(stream, lenBytes, source);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (n == 0)
            throw new SafetensorsFormatException(source, "the header length is 0 (expected a JSON object).");
        if (n > MaxHeaderLength)
            throw new SafetensorsFormatException(source, $"the header length {n} exceeds the limit of {MaxHeaderLength} bytes.");
        if ((long)n > available - 8)
            throw new SafetensorsFormatException(source, $"the header length {n} exceeds the {available - 8} bytes that follow the length field (truncated file?).");
        var json = new byte[(int)n];
        ReadExactly(stream, json, source);
        long dataLength = available - 8 - (long)n;
        return ParseHeader(json, dataLength, source);
    }

    /// <summary>Reads a whole file: validates the header, then reads every tensor into CPU memory.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsContent Load(string path)
    {
        using var fs = OpenRead(path);
        return Load(fs, path);
    }

    /// <summary>Reads safetensors content from <paramref name="stream"/> (from its current position to its end;
    /// non-seekable streams are buffered in memory first); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors.</exception>
    public static SafetensorsContent Load(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            ms.Position = 0;
            return Load(ms, source);
        }
        long start = stream.Position;
        var header = ReadHeader(stream, source);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in header.Tensors)
            {
                stream.Position = start + header.DataStart + info.Begin;
                var t = empty(info.Shape, info.DType.ToScalarType());
                tensors.Add(info.Name, t);
                if (info.ByteLength > 0)
                    ReadExactly(stream, t.bytes, source);
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new SafetensorsContent(header, tensors);
    }

    /// <summary>Writes <paramref name="tensors"/> (any device, any layout) and optional string metadata to
    /// <paramref name="path"/> atomically (temporary file in the same directory, flushed, then renamed).
    /// Tensors are written in ordinal name order, so equal input gives byte-identical files.</summary>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor type is not supported.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata, out var order);
        AtomicFile.Write(path, s => WriteBody(s, header, order, tensors));
    }

    /// <summary>Writes safetensors content to <paramref name="stream"/> (same layout as <see cref="Save"/>).</summary>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor type is not supported.</exception>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata, out var order);
        WriteBody(stream, header, order, tensors);
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source)
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

    // ---- header parsing -------------------------------------------------------------------------------

    private static SafetensorsHeader ParseHeader(byte[] json, long dataLength, string source)
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
            throw new SafetensorsFormatException(source, $"the header is not valid JSON ({e.Message}).", e);
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
        long bytes;
        try
        {
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            bytes = checked(count * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] is too large.");
        }
        if (bytes != end - begin)
            throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype.HeaderName()} needs {bytes} bytes but data_offsets [{begin}, {end}] give {end - begin}.");
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

    // ---- writing --------------------------------------------------------------------------------------

    private static byte[] BuildHeader(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata, out string[] order)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Writing safetensors needs a little-endian machine.");
        order = [.. tensors.Keys.OrderBy(k => k, StringComparer.Ordinal)];
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var key in metadata.Keys.OrderBy(k => k, StringComparer.Ordinal))
                    w.WriteString(key, metadata[key] ?? throw new ArgumentException($"Metadata value for '{key}' is null.", nameof(metadata)));
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (string name in order)
            {
                if (name.Length == 0 || name == MetadataKey)
                    throw new ArgumentException($"Tensor name '{name}' is not allowed (empty or reserved).", nameof(tensors));
                var t = tensors[name] ?? throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
                var dtype = SafetensorsDTypes.FromScalarType(t.dtype);
                long bytes = t.numel() * dtype.ByteSize();
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype.HeaderName());
                w.WriteStartArray("shape");
                foreach (long d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned (8 + header length ≡ 0 mod 8).
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void WriteBody(Stream stream, byte[] header, string[] order, IReadOnlyDictionary<string, Tensor> tensors)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        stream.Write(header);
        foreach (string name in order)
        {
            var t = tensors[name];
            if (t.numel() == 0) continue;
            using var cpu = t.detach().cpu().contiguous();
            stream.Write(cpu.bytes);
        }
    }
}
