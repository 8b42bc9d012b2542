using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>
/// The run-time choice of backend for an <see cref="IGlTextureFeed"/>, in one place for every app (the viewer's
/// <c>--backend gl|torch|auto</c> is this): on a hardware GPU with compute shaders the GL compute backend is the fast
/// one and needs no libtorch; on a software renderer (Mesa llvmpipe, softpipe, swrast) the same shaders run on the CPU,
/// where libtorch is much faster (docs/RESULTS.md, "GL compute backend"); without OpenGL 4.3 the GL backend cannot run.
/// This assembly does not reference TorchSharp, so the CPU source comes in as a factory; <c>TextureGenerator.CreateFeed</c>
/// in ConsistencyModels.Runtime passes libtorch's <c>TextureGenerator</c>.
/// </summary>
public static class GlTextureFeeds
{
    /// <summary>
    /// Resolves <paramref name="preference"/> on <paramref name="gl"/>'s context to <see cref="TextureBackend.Gl"/> or
    /// <see cref="TextureBackend.Torch"/>: Torch stays Torch; Gl stays Gl where compute shaders exist; Auto is Gl when
    /// <see cref="GlComputeTextureGenerator.Suits"/> (a hardware GPU with compute shaders), Torch otherwise.
    /// </summary>
    /// <param name="gl">The render context (current on this thread).</param>
    /// <param name="preference">What the app (or its user) asked for.</param>
    /// <param name="why">One line saying why, naming the renderer, e.g. "auto: 'llvmpipe (LLVM 17.0.6, 256 bits)' is a
    /// software renderer".</param>
    /// <exception cref="NotSupportedException"><see cref="TextureBackend.Gl"/> was asked for and the context has no compute
    /// shaders (desktop OpenGL 4.3+).</exception>
    public static TextureBackend Choose(GL gl, TextureBackend preference, out string why)
    {
        ArgumentNullException.ThrowIfNull(gl);
        switch (preference)
        {
            case TextureBackend.Torch:
                why = "torch requested";
                return TextureBackend.Torch;
            case TextureBackend.Gl:
            {
                string renderer = gl.GetStringS(StringName.Renderer) ?? "";
                if (!GlCapabilities.Query(gl).HasComputeConversion)
                {
                    GlComputeTextureGenerator.Suits(gl, out string reason);
                    throw new NotSupportedException($"the GL compute backend cannot run here: {reason}.");
                }
                why = GlComputeTextureGenerator.IsSoftwareRenderer(renderer)
                    ? $"gl requested, on '{renderer}', a software renderer (the shaders run on the CPU)"
                    : $"gl requested, on '{renderer}'";
                return TextureBackend.Gl;
            }
            case TextureBackend.Auto:
            {
                if (GlComputeTextureGenerator.Suits(gl, out string reason))
                {
                    why = $"auto: '{gl.GetStringS(StringName.Renderer)}' is a GPU with compute shaders";
                    return TextureBackend.Gl;
                }
                why = $"auto: {reason}";
                return TextureBackend.Torch;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(preference), preference, "not a TextureBackend");
        }
    }

    /// <summary>
    /// The feed <see cref="Choose"/> picks: a <see cref="GlComputeTextureFeed"/> over <paramref name="gpuGenerator"/>'s
    /// generator, or a <see cref="ProducerTextureFeed"/> over <paramref name="cpuSource"/>'s source. Only the chosen
    /// factory is called (the other backend's model is never loaded), and the feed owns what it made: disposing the feed
    /// disposes the generator or source.
    /// </summary>
    /// <param name="gl">The render context (current on this thread).</param>
    /// <param name="preference">Auto, Gl or Torch.</param>
    /// <param name="request">The first request (validated against the model the factory loads).</param>
    /// <param name="cpuSource">Makes the CPU source (e.g. <c>TextureGenerator.LoadDefault</c>); called only for Torch.</param>
    /// <param name="gpuGenerator">Makes the GL backend on <paramref name="gl"/>'s context (e.g.
    /// <c>() =&gt; GlComputeTextureGenerator.LoadDefault(gl)</c>); called only for Gl.</param>
    /// <param name="why">One line saying which backend and why (see <see cref="Choose"/>).</param>
    /// <param name="sinkOptions">The CPU path's texture options (format, colour space, mips); the GL path uses its
    /// generator's <see cref="GlComputeOptions"/>.</param>
    /// <exception cref="NotSupportedException">Gl was asked for and the context has no compute shaders.</exception>
    /// <exception cref="ArgumentException">The request is invalid for the model.</exception>
    public static IGlTextureFeed Create(GL gl, TextureBackend preference, TextureRequest request, Func<ITextureSource> cpuSource,
        Func<GlComputeTextureGenerator> gpuGenerator, out string why, GlTextureSinkOptions? sinkOptions = null)
    {
        ArgumentNullException.ThrowIfNull(cpuSource);
        ArgumentNullException.ThrowIfNull(gpuGenerator);
        if (Choose(gl, preference, out why) == TextureBackend.Gl)
        {
            var generator = gpuGenerator() ?? throw new InvalidOperationException("the GL generator factory returned null.");
            try
            {
                return new GlComputeTextureFeed(gl, generator, request, ownsGenerator: true);
            }
            catch
            {
                generator.Dispose();
                throw;
            }
        }
        var source = cpuSource() ?? throw new InvalidOperationException("the CPU source factory returned null.");
        try
        {
            return new ProducerTextureFeed(gl, source, request, ownsSource: true, sinkOptions);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}
