namespace ConsistencyModels.Runtime;

/// <summary>
/// One CPU staging slot of the generation→render handoff: a planar [3, H, W] float texture plus what made
/// it. Owned by <see cref="TripleBuffer{T}"/>: the producer writes only its back slot, the render thread
/// reads only its front slot, so no lock guards the pixels.
/// </summary>
public sealed class TextureFrame
{
    private float[] data = [];

    /// <summary>Width of the texture in pixels (0 until the first frame).</summary>
    public int Width { get; private set; }

    /// <summary>Height of the texture in pixels (0 until the first frame).</summary>
    public int Height { get; private set; }

    /// <summary>Producer's running frame number (1 for the first published frame, 0 for an empty slot).</summary>
    public long Sequence { get; set; }

    /// <summary>The request that produced the pixels.</summary>
    public TextureRequest Request { get; set; }

    /// <summary>Wall time the source took to generate the pixels, in milliseconds.</summary>
    public double GenerateMilliseconds { get; set; }

    /// <summary>The planar pixels: 3·Height·Width floats in [-1, 1].</summary>
    public Span<float> Pixels => data.AsSpan(0, 3 * Width * Height);

    /// <summary>Sets the size, reallocating only when the buffer is too small (so steady state allocates nothing).</summary>
    public void EnsureSize(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"frame size must be at least 1×1, got {width}×{height}.");
        var needed = checked(3 * width * height);
        if (data.Length < needed) data = new float[needed];
        Width = width;
        Height = height;
    }
}
