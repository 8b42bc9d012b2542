using System.Reflection;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>GLSL sources embedded from the repository's shaders/ folder (resource names "shaders/&lt;file&gt;").</summary>
public static class EmbeddedShaders
{
    /// <summary>Planar [3,H,W] float → RGBA compute shader used by <see cref="GlTextureSink"/>.</summary>
    public const string PlanarToRgba = "planar_to_rgba.comp.glsl";

    /// <summary>Vertex shader of the viewer's tiled plane.</summary>
    public const string TiledPlaneVertex = "tiled_plane.vert.glsl";

    /// <summary>Fragment shader of the viewer's tiled plane.</summary>
    public const string TiledPlaneFragment = "tiled_plane.frag.glsl";

    /// <summary>Reads a shader's source by file name.</summary>
    /// <exception cref="ArgumentException">No embedded shader has that name.</exception>
    public static string Read(string fileName)
    {
        var assembly = typeof(EmbeddedShaders).Assembly;
        using var stream = assembly.GetManifestResourceStream("shaders/" + fileName)
            ?? throw new ArgumentException($"no embedded shader 'shaders/{fileName}'; embedded: {string.Join(", ", assembly.GetManifestResourceNames().Where(n => n.StartsWith("shaders/", StringComparison.Ordinal)))}.", nameof(fileName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Inserts <c>#define</c> lines right after the #version line (GLSL requires #version first).</summary>
    public static string WithDefines(string source, params (string Name, string Value)[] defines)
    {
        var end = source.IndexOf('\n', source.IndexOf("#version", StringComparison.Ordinal));
        var header = string.Concat(defines.Select(d => $"#define {d.Name} {d.Value}\n"));
        return source[..(end + 1)] + header + source[(end + 1)..];
    }
}
