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
/// The header parser is ConsistencyModels.Core's libtorch-free <see cref="SafetensorsFile"/>; this class adds
/// TorchSharp tensors (reading into them and writing from them).
/// </summary>
public static class Safetensors
{
    /// <summary>Upper bound on the JSON header length (the reference implementation uses 100 MB as well).</summary>
    public const long MaxHeaderLength = SafetensorsFile.MaxHeaderLength;

    /// <summary>Key of the free-form string map in the header.</summary>
    public const string MetadataKey = SafetensorsFile.MetadataKey;

    /// <summary>Reads and validates the header of the file at <paramref name="path"/> (<see cref="SafetensorsFile.ReadHeader(string)"/>).</summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsHeader ReadHeader(string path) => SafetensorsFile.ReadHeader(path);

    /// <summary>Reads and validates a header from a seekable stream positioned at the start of the safetensors data
    /// (<see cref="SafetensorsFile.ReadHeader(Stream, string)"/>). Leaves the stream positioned after the header.</summary>
    /// <exception cref="SafetensorsFormatException">The content is not valid safetensors.</exception>
    public static SafetensorsHeader ReadHeader(Stream stream, string source) => SafetensorsFile.ReadHeader(stream, source);

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

    private static FileStream OpenRead(string path) => SafetensorsFile.OpenRead(path);

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source) => SafetensorsFile.ReadExactly(stream, buffer, source);

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
                var dtype = SafetensorsScalarTypes.FromScalarType(t.dtype);
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
