namespace ConsistencyModels.Runtime;

/// <summary>Storage format of the textures <see cref="GlTextureSink"/> produces.</summary>
public enum TexturePixelFormat
{
    /// <summary>8-bit unsigned normalised RGBA (GL_RGBA8): 4 bytes per pixel, ±1 LSB of the exact mapping.</summary>
    Rgba8,

    /// <summary>16-bit float RGBA (GL_RGBA16F): 8 bytes per pixel, exact to half precision.</summary>
    Rgba16F,
}
