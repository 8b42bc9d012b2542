namespace ConsistencyModels.Runtime;

/// <summary>What a <see cref="ITextureSource"/> should generate: size, class, step count, seed and animation phase.</summary>
/// <param name="Width">Texture width in pixels, ≥ 1.</param>
/// <param name="Height">Texture height in pixels, ≥ 1.</param>
/// <param name="ClassIndex">Index into <see cref="ITextureSource.ClassNames"/> (ignored by unconditional sources).</param>
/// <param name="Steps">Network evaluations per texture: 1 or 2 (multistep consistency sampling).</param>
/// <param name="Seed">Noise seed; the same request gives the same texture.</param>
/// <param name="Phase">Animation position in seconds; 0 is the seed's own texture. A model source moves
/// through latent space (slerp towards the next seed), the procedural source drifts its wave phases.</param>
public readonly record struct TextureRequest(int Width, int Height, int ClassIndex, int Steps, ulong Seed, double Phase)
{
    /// <summary>Floats in one planar [3, Height, Width] texture.</summary>
    public int PlanarLength => checked(3 * Width * Height);

    /// <summary>Throws <see cref="ArgumentException"/> when the request cannot be served by a source with <paramref name="classCount"/> classes.</summary>
    public void Validate(int classCount)
    {
        if (Width < 1 || Height < 1)
            throw new ArgumentOutOfRangeException(nameof(Width), $"texture size must be at least 1×1, got {Width}×{Height}.");
        if (Steps is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"steps must be 1 or 2, got {Steps}.");
        if (classCount > 0 && (ClassIndex < 0 || ClassIndex >= classCount))
            throw new ArgumentOutOfRangeException(nameof(ClassIndex), ClassIndex, $"class index must be in [0, {classCount - 1}], got {ClassIndex}.");
        if (!double.IsFinite(Phase))
            throw new ArgumentOutOfRangeException(nameof(Phase), Phase, $"phase must be finite, got {Phase}.");
    }
}
