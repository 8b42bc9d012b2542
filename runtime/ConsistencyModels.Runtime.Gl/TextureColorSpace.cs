namespace ConsistencyModels.Runtime;

/// <summary>
/// How <see cref="GlTextureSink"/> stores colours. The network's output v ∈ [−1, 1] maps to e = v·0.5 + 0.5, a
/// <b>display-referred sRGB</b> value (the training images were sRGB-encoded PNGs/patterns): shown as-is on an sRGB
/// display it looks like the training data. A renderer that lights in linear space wants linear values when it samples.
/// </summary>
public enum TextureColorSpace
{
    /// <summary>The encoded values e as they are, in a UNORM (RGBA8) or float (RGBA16F) texture: sampling returns sRGB-encoded
    /// numbers. Right for a renderer that does no linear lighting (or decodes itself). The default, as before.</summary>
    SrgbEncoded,

    /// <summary>An sRGB texture: RGBA8 becomes GL_SRGB8_ALPHA8 holding e, so the GPU decodes to linear when sampling
    /// (and filters and builds mipmaps in linear light); RGBA16F has no sRGB format and stores the decoded linear values
    /// instead, which samples the same.</summary>
    Srgb,

    /// <summary>Linear-light values (e decoded with the sRGB transfer function, IEC 61966-2-1) in the chosen format.
    /// With RGBA8 dark tones lose precision (banding): prefer <see cref="Srgb"/> or RGBA16F.</summary>
    Linear,
}

/// <summary>Where <see cref="GlTextureSink"/> converts planar floats to RGBA.</summary>
public enum GlConversionPath
{
    /// <summary>Compute when the context has compute shaders and texture views (desktop GL 4.3+), else the CPU.</summary>
    Auto,

    /// <summary>A compute shader on the GPU (GL 4.3+): pixel buffer → R32F planar array → imageStore.</summary>
    Compute,

    /// <summary>On the CPU into a preallocated RGBA buffer, uploaded with glTexSubImage2D: for GL 3.3, macOS's 4.1 and
    /// GLES 3 contexts (no compute shaders).</summary>
    Cpu,
}

/// <summary>Options of a <see cref="GlTextureSink"/>.</summary>
public sealed record GlTextureSinkOptions
{
    /// <summary>Storage format of the output textures.</summary>
    public TexturePixelFormat Format { get; init; } = TexturePixelFormat.Rgba8;

    /// <summary>How colours are stored (see <see cref="TextureColorSpace"/>: the network's output is display-referred sRGB).</summary>
    public TextureColorSpace ColorSpace { get; init; } = TextureColorSpace.SrgbEncoded;

    /// <summary>Allocate a full mip chain and regenerate it after every upload (glGenerateMipmap), sampled trilinearly:
    /// a tiled texture at grazing angles no longer shimmers. Costs ⅓ more memory and one mipmap pass per frame.</summary>
    public bool Mipmaps { get; init; }

    /// <summary>Conversion path; <see cref="GlConversionPath.Auto"/> picks from the context's capabilities.</summary>
    public GlConversionPath Path { get; init; } = GlConversionPath.Auto;
}
