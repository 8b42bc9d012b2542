using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Data;

/// <summary>
/// An RGB image held in managed memory as planar float32 [3, H, W] in [-1, 1].
/// Kept managed (not a tensor) so a dataset owns no native memory and crops are cheap copies.
/// </summary>
public sealed class PlanarImage
{
    /// <summary>Wraps planar data; <paramref name="data"/> must have 3·<paramref name="height"/>·<paramref name="width"/> elements.</summary>
    public PlanarImage(float[] data, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(data);
        Guard.AtLeast(height, 1, nameof(height));
        Guard.AtLeast(width, 1, nameof(width));
        if (data.Length != 3L * height * width)
            throw new ArgumentException($"data must hold 3*{height}*{width} = {3L * height * width} floats, got {data.Length}.", nameof(data));
        Data = data;
        Height = height;
        Width = width;
    }

    /// <summary>Planar pixels: channel c, row y, column x at index (c·H + y)·W + x.</summary>
    public float[] Data { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Converts interleaved 8-bit pixels (1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA) to planar RGB in [-1, 1].
    /// Alpha is composited over white: a pattern drawn as black strokes on transparency (GIMP's Legacy stripes) keeps its
    /// strokes, which dropping the alpha turned into a black square (transparent pixels store black).</summary>
    public static PlanarImage FromInterleaved(ReadOnlySpan<byte> pixels, int height, int width, int channels)
    {
        Guard.InRange(channels, 1, 4, nameof(channels));
        if (pixels.Length < (long)height * width * channels)
            throw new ArgumentException($"pixels must hold {height}*{width}*{channels} bytes, got {pixels.Length}.", nameof(pixels));
        int plane = height * width;
        var data = new float[3 * plane];
        bool gray = channels <= 2;
        bool alpha = channels is 2 or 4;
        for (int i = 0; i < plane; i++)
        {
            int p = i * channels;
            float a = alpha ? pixels[p + channels - 1] / 255f : 1f;
            for (int c = 0; c < 3; c++)
            {
                float value = pixels[gray ? p : p + c];
                data[c * plane + i] = (a * value + (1f - a) * 255f) / 127.5f - 1f;
            }
        }
        return new PlanarImage(data, height, width);
    }

    /// <summary>A new float32 tensor [3, H, W] (caller owns it).</summary>
    public Tensor ToTensor() => torch.tensor(Data, new long[] { 3, Height, Width });
}
