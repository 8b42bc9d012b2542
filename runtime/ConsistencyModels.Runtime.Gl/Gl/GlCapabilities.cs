using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>What the current GL context can do, queried once: version, GLES or desktop, and the size limits.</summary>
/// <param name="Major">GL major version.</param>
/// <param name="Minor">GL minor version.</param>
/// <param name="IsEs">An OpenGL ES context.</param>
/// <param name="MaxTextureSize">GL_MAX_TEXTURE_SIZE: the largest width or height of a 2D texture.</param>
/// <param name="MaxArrayTextureLayers">GL_MAX_ARRAY_TEXTURE_LAYERS.</param>
/// <param name="Version">The GL_VERSION string.</param>
public sealed record GlCapabilities(int Major, int Minor, bool IsEs, int MaxTextureSize, int MaxArrayTextureLayers, string Version)
{
    /// <summary>Compute shaders and texture views, what the sink's GPU conversion needs: desktop GL 4.3 or newer.</summary>
    public bool HasComputeConversion => !IsEs && (Major > 4 || (Major == 4 && Minor >= 3));

    /// <summary>glGetTexImage (desktop GL; GLES lacks it).</summary>
    public bool HasGetTexImage => !IsEs;

    /// <summary>Queries the current context.</summary>
    public static unsafe GlCapabilities Query(GL gl)
    {
        ArgumentNullException.ThrowIfNull(gl);
        string version = gl.GetStringS(StringName.Version) ?? "";
        bool es = version.StartsWith("OpenGL ES", StringComparison.Ordinal);
        int major = gl.GetInteger(GetPName.MajorVersion), minor = gl.GetInteger(GetPName.MinorVersion);
        int maxSize = gl.GetInteger(GetPName.MaxTextureSize), maxLayers = gl.GetInteger(GetPName.MaxArrayTextureLayers);
        return new GlCapabilities(major, minor, es, maxSize, maxLayers, version);
    }
}
