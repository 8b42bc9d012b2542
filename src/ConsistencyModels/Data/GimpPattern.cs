using System.Buffers.Binary;
using System.Text;

namespace ConsistencyModels.Data;

/// <summary>
/// A GIMP pattern (<c>.pat</c>): five big-endian uint32 (header size, version, width, height, bytes per pixel),
/// the magic "GPAT", a NUL-terminated UTF-8 name filling the rest of the header, then raw interleaved
/// pixels (1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA), rows top to bottom.
/// Format: GIMP's devel-docs/pat.txt.
/// </summary>
public sealed class GimpPattern
{
    /// <summary>The magic bytes after the five header words.</summary>
    public const string Magic = "GPAT";

    /// <summary>Largest side accepted; GIMP's own patterns are at most a few hundred pixels.</summary>
    public const int MaxSide = 8192;

    private const int FixedHeaderSize = 24;

    private GimpPattern(string name, int width, int height, int bytesPerPixel, byte[] pixels)
    {
        Name = name;
        Width = width;
        Height = height;
        BytesPerPixel = bytesPerPixel;
        Pixels = pixels;
    }

    /// <summary>The pattern's name from its header (e.g. "Pink Marble").</summary>
    public string Name { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA.</summary>
    public int BytesPerPixel { get; }

    /// <summary>Interleaved 8-bit pixels, Height·Width·BytesPerPixel bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Reads and validates a pattern file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid pattern; the message names the file.</exception>
    public static GimpPattern Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"GIMP pattern file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses pattern bytes; <paramref name="sourceName"/> names the source in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid pattern.</exception>
    public static GimpPattern Parse(ReadOnlySpan<byte> bytes, string sourceName)
    {
        if (bytes.Length < FixedHeaderSize)
            throw Corrupt(sourceName, $"file is {bytes.Length} bytes, shorter than the {FixedHeaderSize}-byte header");
        uint headerSize = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint version = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        uint width = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
        uint bpp = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
        if (!bytes.Slice(20, 4).SequenceEqual("GPAT"u8))
            throw Corrupt(sourceName, "magic \"GPAT\" missing at byte 20");
        if (version != 1)
            throw Corrupt(sourceName, $"version {version} unsupported (expected 1)");
        if (headerSize < FixedHeaderSize + 1 || headerSize > bytes.Length)
            throw Corrupt(sourceName, $"header size {headerSize} out of range [{FixedHeaderSize + 1}, {bytes.Length}]");
        if (width < 1 || height < 1 || width > MaxSide || height > MaxSide)
            throw Corrupt(sourceName, $"size {width}x{height} out of range [1, {MaxSide}]");
        if (bpp < 1 || bpp > 4)
            throw Corrupt(sourceName, $"bytes per pixel {bpp} unsupported (expected 1..4)");
        long pixelBytes = (long)width * height * bpp;
        if (bytes.Length - headerSize < pixelBytes)
            throw Corrupt(sourceName, $"pixel data truncated: {bytes.Length - headerSize} bytes after the header, expected {pixelBytes}");
        var nameBytes = bytes[FixedHeaderSize..(int)headerSize];
        int nul = nameBytes.IndexOf((byte)0);
        if (nul < 0)
            throw Corrupt(sourceName, "pattern name is not NUL-terminated within the header");
        string name;
        try
        {
            name = new UTF8Encoding(false, true).GetString(nameBytes[..nul]);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Corrupt GIMP pattern {sourceName}: name is not valid UTF-8.", e);
        }
        var pixels = bytes.Slice((int)headerSize, (int)pixelBytes).ToArray();
        return new GimpPattern(name, (int)width, (int)height, (int)bpp, pixels);
    }

    /// <summary>The pattern as planar RGB in [-1, 1] (gray replicated to 3 channels, alpha composited over white).</summary>
    public PlanarImage ToPlanar() => PlanarImage.FromInterleaved(Pixels, Height, Width, BytesPerPixel);

    private static InvalidDataException Corrupt(string source, string what) =>
        new($"Corrupt GIMP pattern {source}: {what}.");
}
