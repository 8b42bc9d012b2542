using ConsistencyModels.Networks;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

// The backend choice for a game that ships both paths: GL compute on a hardware GPU, libtorch otherwise.
public sealed partial class TextureGenerator
{
    /// <summary>
    /// A texture feed for the render thread with the backend chosen for this machine (<see cref="GlTextureFeeds.Create"/>):
    /// the GL compute backend (<see cref="GlComputeTextureGenerator"/>) when <paramref name="backend"/> is Gl, or Auto on a
    /// hardware GPU with compute shaders; otherwise this libtorch generator on a producer thread feeding a
    /// <see cref="GlTextureSink"/>. Both load the same model: <paramref name="modelPath"/>, or the default model when null.
    /// Only the chosen backend loads it. Call on the GL context's thread; dispose the feed there.
    /// </summary>
    /// <param name="gl">The render context (current on this thread).</param>
    /// <param name="request">The first request.</param>
    /// <param name="why">One line saying which backend runs and why (it names the renderer).</param>
    /// <param name="backend">Auto (default), Gl or Torch.</param>
    /// <param name="modelPath">A .safetensors model, or null for the default model (ConsistencyModels.DefaultModel).</param>
    /// <param name="precision">The libtorch path's precision (the GL backend computes in float32).</param>
    /// <param name="sinkOptions">The libtorch path's texture options (format, colour space, mips).</param>
    /// <exception cref="FileNotFoundException">The model file, or the default model package, is missing.</exception>
    /// <exception cref="IO.ModelFormatException">The model file is corrupt or not a 1–2 step model.</exception>
    /// <exception cref="NotSupportedException">Gl was asked for and the context has no compute shaders.</exception>
    /// <exception cref="ArgumentException">The request is invalid for the model.</exception>
    public static IGlTextureFeed CreateFeed(GL gl, TextureRequest request, out string why, TextureBackend backend = TextureBackend.Auto,
        string? modelPath = null, NetworkPrecision precision = NetworkPrecision.Auto, GlTextureSinkOptions? sinkOptions = null) =>
        GlTextureFeeds.Create(gl, backend, request,
            () => modelPath is null ? LoadDefault(precision: precision) : new TextureGenerator(modelPath, precision: precision),
            () => modelPath is null ? GlComputeTextureGenerator.LoadDefault(gl) : GlComputeTextureGenerator.FromFile(gl, modelPath),
            out why, sinkOptions);
}
