namespace ConsistencyModels.Runtime;

/// <summary>
/// Something that generates textures: planar float [3, H, W] in [-1, 1], channel-major (all R rows, then
/// all G, then all B), row 0 at the top. The seam between generation and display: the viewer and
/// <see cref="TextureProducer"/> see only this, so the model-backed generator and
/// <see cref="ProceduralTextureSource"/> are interchangeable. <see cref="Generate"/> is called from one
/// generation thread at a time and must not allocate managed memory per call once warmed up for a size.
/// </summary>
public interface ITextureSource : IDisposable
{
    /// <summary>A one-line description for logs ("procedural (sum of sines)", "model student.safetensors, CD, 2 steps").</summary>
    string Description { get; }

    /// <summary>Channels per texture: always 3 (RGB).</summary>
    int Channels => 3;

    /// <summary>Class names the source can be conditioned on; empty for an unconditional source. Immutable (read from any thread).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Writes the texture described by <paramref name="request"/> into the first
    /// <see cref="TextureRequest.PlanarLength"/> floats of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The request is invalid or the destination is too small.</exception>
    void Generate(in TextureRequest request, Span<float> destination);
}
