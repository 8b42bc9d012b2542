namespace ConsistencyModels.Runtime;

/// <summary>Which inference backend makes an <see cref="IGlTextureFeed"/>'s textures (the viewer's <c>--backend</c>).</summary>
public enum TextureBackend
{
    /// <summary>GL compute on a hardware GPU with compute shaders, the CPU (libtorch) path otherwise
    /// (<see cref="GlComputeTextureGenerator.Suits"/>): on a software renderer the shaders would run on the CPU, where
    /// libtorch is much faster.</summary>
    Auto,

    /// <summary>The GL compute backend (<see cref="GlComputeTextureGenerator"/>) in the render context: no libtorch, no
    /// host copy. Needs desktop OpenGL 4.3+.</summary>
    Gl,

    /// <summary>A CPU <see cref="ITextureSource"/> (libtorch's <c>TextureGenerator</c>, or any other source) on a thread of
    /// its own, uploaded through <see cref="GlTextureSink"/>.</summary>
    Torch,
}

/// <summary>The names of <see cref="TextureBackend"/> as the viewer's <c>--backend gl|torch|auto</c> spells them.</summary>
public static class TextureBackends
{
    /// <summary>"auto", "gl" or "torch".</summary>
    public static string Name(this TextureBackend backend) => backend switch
    {
        TextureBackend.Auto => "auto",
        TextureBackend.Gl => "gl",
        TextureBackend.Torch => "torch",
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "not a TextureBackend"),
    };

    /// <summary>Parses "auto", "gl" or "torch" (exact, lower case, as <see cref="Name"/> writes them).</summary>
    public static bool TryParse(string? text, out TextureBackend backend)
    {
        switch (text)
        {
            case "auto": backend = TextureBackend.Auto; return true;
            case "gl": backend = TextureBackend.Gl; return true;
            case "torch": backend = TextureBackend.Torch; return true;
            default: backend = TextureBackend.Auto; return false;
        }
    }
}
