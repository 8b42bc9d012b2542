namespace ConsistencyModels.Runtime;

/// <summary>
/// CPU version of the sink's mapping (shaders/planar_to_rgba.comp.glsl): planar [3, H, W] in [-1, 1] →
/// interleaved RGBA8 with rgb = round(clamp(v·0.5 + 0.5, 0, 1)·255), a = 255. Used where GL is missing
/// and for PNG output.
/// </summary>
public static class PlanarTextureConversion
{
    /// <summary>Maps one value in [-1, 1] to an 8-bit channel (values outside are clamped).</summary>
    public static byte ToUnorm8(float value) =>
        (byte)MathF.Round(Math.Clamp(value * 0.5f + 0.5f, 0f, 1f) * 255f);

    /// <summary>The sRGB decoding (IEC 61966-2-1): display-referred e ∈ [0, 1] → linear light.</summary>
    public static float DecodeSrgb(float e) => e <= 0.04045f ? e / 12.92f : MathF.Pow((e + 0.055f) / 1.055f, 2.4f);

    /// <summary>The value stored for v ∈ [-1, 1]: e = clamp(v·0.5 + 0.5, 0, 1), decoded to linear light when <paramref name="linear"/>.</summary>
    public static float Encode(float value, bool linear)
    {
        float e = Math.Clamp(value * 0.5f + 0.5f, 0f, 1f);
        return linear ? DecodeSrgb(e) : e;
    }

    /// <summary>Converts a planar texture to interleaved RGBA8 (e or its linear decoding, see <see cref="Encode"/>), row 0 first.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the size requires.</exception>
    public static void ToRgba8(ReadOnlySpan<float> planar, int width, int height, Span<byte> rgba, bool linear)
    {
        if (!linear) { ToRgba8(planar, width, height, rgba); return; }
        int plane = Check(planar.Length, rgba.Length, width, height, "rgba", "bytes");
        for (var i = 0; i < plane; i++)
        {
            rgba[4 * i] = (byte)MathF.Round(Encode(planar[i], true) * 255f);
            rgba[4 * i + 1] = (byte)MathF.Round(Encode(planar[plane + i], true) * 255f);
            rgba[4 * i + 2] = (byte)MathF.Round(Encode(planar[2 * plane + i], true) * 255f);
            rgba[4 * i + 3] = 255;
        }
    }

    /// <summary>Converts a planar texture to interleaved float RGBA (see <see cref="Encode"/>), row 0 first.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the size requires.</exception>
    public static void ToRgbaFloat(ReadOnlySpan<float> planar, int width, int height, Span<float> rgba, bool linear)
    {
        int plane = Check(planar.Length, rgba.Length, width, height, "rgba", "floats");
        for (var i = 0; i < plane; i++)
        {
            rgba[4 * i] = Encode(planar[i], linear);
            rgba[4 * i + 1] = Encode(planar[plane + i], linear);
            rgba[4 * i + 2] = Encode(planar[2 * plane + i], linear);
            rgba[4 * i + 3] = 1f;
        }
    }

    private static int Check(int planarLength, int rgbaLength, int width, int height, string name, string unit)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"size must be at least 1×1, got {width}×{height}.");
        var plane = width * height;
        if (planarLength < 3 * plane)
            throw new ArgumentException($"planar data must hold 3×{height}×{width} = {3 * plane} floats, got {planarLength}.", "planar");
        if (rgbaLength < 4 * plane)
            throw new ArgumentException($"{name} must hold 4×{height}×{width} = {4 * plane} {unit}, got {rgbaLength}.", name);
        return plane;
    }

    /// <summary>Converts a planar texture to interleaved RGBA8, row 0 first.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the size requires.</exception>
    public static void ToRgba8(ReadOnlySpan<float> planar, int width, int height, Span<byte> rgba)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"size must be at least 1×1, got {width}×{height}.");
        var plane = width * height;
        if (planar.Length < 3 * plane)
            throw new ArgumentException($"planar data must hold 3×{height}×{width} = {3 * plane} floats, got {planar.Length}.", nameof(planar));
        if (rgba.Length < 4 * plane)
            throw new ArgumentException($"rgba must hold 4×{height}×{width} = {4 * plane} bytes, got {rgba.Length}.", nameof(rgba));
        for (var i = 0; i < plane; i++)
        {
            rgba[4 * i] = ToUnorm8(planar[i]);
            rgba[4 * i + 1] = ToUnorm8(planar[plane + i]);
            rgba[4 * i + 2] = ToUnorm8(planar[2 * plane + i]);
            rgba[4 * i + 3] = 255;
        }
    }
}
