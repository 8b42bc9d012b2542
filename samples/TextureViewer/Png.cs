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
    public static void FlipRows(byte[] rgba, int width, int height)
    {
        var stride = 4 * width;
        var tmp = new byte[stride];
        for (var y = 0; y < height / 2; y++)
        {
            var a = rgba.AsSpan(y * stride, stride);
            var b = rgba.AsSpan((height - 1 - y) * stride, stride);
            a.CopyTo(tmp);
            b.CopyTo(a);
            tmp.CopyTo(b);
        }
    }

    /// <summary>Lays equally sized RGBA images out in a grid with a 2-pixel dark gap.</summary>
    public static (byte[] Rgba, int Width, int Height) ContactSheet(IReadOnlyList<byte[]> images, int width, int height, int columns)
    {
        const int gap = 2;
        var rows = (images.Count + columns - 1) / columns;
        int sheetW = columns * width + (columns + 1) * gap, sheetH = rows * height + (rows + 1) * gap;
        var sheet = new byte[4 * sheetW * sheetH];
        for (var i = 0; i < sheet.Length; i += 4) { sheet[i] = sheet[i + 1] = sheet[i + 2] = 24; sheet[i + 3] = 255; }
        for (var k = 0; k < images.Count; k++)
        {
            int x0 = gap + (k % columns) * (width + gap), y0 = gap + (k / columns) * (height + gap);
            for (var y = 0; y < height; y++)
                images[k].AsSpan(4 * y * width, 4 * width).CopyTo(sheet.AsSpan(4 * ((y0 + y) * sheetW + x0)));
        }
        return (sheet, sheetW, sheetH);
    }
}
