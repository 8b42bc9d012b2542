using StbImageWriteSharp;

namespace TextureViewer;

/// <summary>PNG output and contact sheets (RGBA8, row 0 at the top).</summary>
internal static class Png
{
    public static void Write(string path, byte[] rgba, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = File.Create(path);
        new ImageWriter().WritePng(rgba, width, height, ColorComponents.RedGreenBlueAlpha, stream);
    }

    /// <summary>Reverses row order in place (GL framebuffers start at the bottom row).</summary>
    public static void FlipRows(Span<byte> rgba, int width, int height)
    {
        var stride = 4 * width;
        Span<byte> tmp = stride <= 16384 ? stackalloc byte[stride] : new byte[stride];
        for (var y = 0; y < height / 2; y++)
        {
            var a = rgba.Slice(y * stride, stride);
            var b = rgba.Slice((height - 1 - y) * stride, stride);
            a.CopyTo(tmp);
            b.CopyTo(a);
            tmp.CopyTo(b);
        }
    }
}
