using System.Buffers.Binary;
using System.Text;

namespace ConsistencyModels.Tests.Data;

/// <summary>Helpers that write test inputs byte by byte, independent of the code under test.</summary>
internal static class TestFiles
{
    /// <summary>Bytes of a .pat file: header (5 big-endian uint32), "GPAT", NUL-terminated name, pixels.</summary>
    public static byte[] Pattern(string name, int width, int height, int bpp, byte[] pixels, uint? headerSizeOverride = null, uint version = 1)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        int headerSize = 24 + nameBytes.Length + 1;
        var bytes = new byte[headerSize + pixels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(0), headerSizeOverride ?? (uint)headerSize);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), (uint)height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)bpp);
        "GPAT"u8.CopyTo(bytes.AsSpan(20));
        nameBytes.CopyTo(bytes.AsSpan(24));
        pixels.CopyTo(bytes.AsSpan(headerSize));
        return bytes;
    }

    /// <summary>A fresh empty temporary folder.</summary>
    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "cm-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>The repository's tests/data folder.</summary>
    public static string FixtureDir
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tests", "data")))
                dir = dir.Parent;
            return dir is null ? throw new DirectoryNotFoundException("tests/data not found above the test directory") : Path.Combine(dir.FullName, "tests", "data");
        }
    }

    /// <summary>Writes an RGB PNG of the given interleaved bytes (via StbImageWriteSharp).</summary>
    public static void Png(string path, int width, int height, byte[] rgb)
    {
        using var s = File.Create(path);
        new StbImageWriteSharp.ImageWriter().WritePng(rgb, width, height, StbImageWriteSharp.ColorComponents.RedGreenBlue, s);
    }
}

/// <summary>Exact tensor comparison (TorchSharp's Tensor.equal is element-wise).</summary>
internal static class TensorAssert
{
    /// <summary>True when shapes match and every element is equal.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }
}
