using System.Diagnostics;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>
/// The CPU path as an <see cref="IGlTextureFeed"/>: any <see cref="ITextureSource"/> (libtorch's <c>TextureGenerator</c>,
/// ONNX, <see cref="ProceduralTextureSource"/>) generates on a <see cref="TextureProducer"/> thread, frames cross a
/// <see cref="TripleBuffer{T}"/>, and <see cref="GlTextureSink"/> uploads the newest one on the render thread. The render
/// thread never waits for the source; <see cref="CurrentTexture"/> is the sink's mid-grey placeholder until the first
/// texture. Create, update and dispose it on the GL context's thread.
/// </summary>
public sealed class ProducerTextureFeed : IGlTextureFeed
{
    private readonly ITextureSource source;
    private readonly GlTextureSink sink;
    private readonly TextureProducer producer;
    private readonly bool ownsSource;

    /// <summary>Creates the sink on <paramref name="gl"/>'s (current) context and starts generating, animated.</summary>
    /// <param name="gl">The render context.</param>
    /// <param name="source">The texture source; used only on the producer thread from now on.</param>
    /// <param name="request">The first request (validated against the source).</param>
    /// <param name="ownsSource">Whether <see cref="Dispose"/> disposes <paramref name="source"/> too (otherwise the caller
    /// does, after this feed, as with <see cref="TextureProducer"/>).</param>
    /// <param name="sinkOptions">Format, colour space and mip chain of the textures (default: RGBA8, sRGB-encoded, no mips).</param>
    /// <exception cref="ArgumentException">The request is invalid for the source.</exception>
    /// <exception cref="InvalidOperationException">The source already feeds another producer, or the sink cannot be made.</exception>
    public ProducerTextureFeed(GL gl, ITextureSource source, TextureRequest request, bool ownsSource = false, GlTextureSinkOptions? sinkOptions = null)
    {
        ArgumentNullException.ThrowIfNull(gl);
        ArgumentNullException.ThrowIfNull(source);
        request.Validate(source.ClassNames.Count);
        this.source = source;
        this.ownsSource = ownsSource;
        sink = new GlTextureSink(gl, request.Width, request.Height, sinkOptions ?? new GlTextureSinkOptions());
        try
        {
            producer = new TextureProducer(source, request, animate: true);
        }
        catch
        {
            sink.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public TextureBackend Backend => TextureBackend.Torch;

    /// <inheritdoc/>
    public string Description => source.Description;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => source.ClassNames;

    /// <inheritdoc/>
    public TextureRequest Request { get => producer.Request; set => producer.Request = value; }

    /// <inheritdoc/>
    public bool Animate { get => producer.Animate; set => producer.Animate = value; }

    /// <summary>The producer behind the feed (its <see cref="TextureProducer.Failed"/> event, frame rate cap, animation speed).</summary>
    public TextureProducer Producer => producer;

    /// <summary>The sink that owns the textures (its conversion path, mip levels).</summary>
    public GlTextureSink Sink => sink;

    /// <inheritdoc/>
    public bool Update() => sink.Update(producer.Frames);

    /// <inheritdoc/>
    public uint CurrentTexture => sink.CurrentTexture;

    /// <inheritdoc/>
    public int Width => sink.Width;

    /// <inheritdoc/>
    public int Height => sink.Height;

    /// <inheritdoc/>
    public double GenerateMilliseconds => producer.Frames.Front.GenerateMilliseconds;

    /// <inheritdoc/>
    public TextureRequest ShownRequest => producer.Frames.Front.Request;

    /// <inheritdoc/>
    public long Produced => producer.Frames.Published;

    /// <inheritdoc/>
    public long Shown => producer.Frames.Acquired;

    /// <inheritdoc/>
    public long Dropped => producer.Frames.Dropped;

    /// <inheritdoc/>
    public long Late => producer.Frames.Late;

    /// <inheritdoc/>
    public Exception? Error => producer.Error;

    /// <inheritdoc/>
    public bool WaitForFirst(TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (!producer.Frames.HasFresh && !sink.HasFrame && producer.Error is null && wait.Elapsed < timeout) Thread.Sleep(1);
        if (producer.Error is not null) throw producer.Error;
        return producer.Frames.HasFresh || sink.HasFrame;
    }

    /// <inheritdoc/>
    public void Stop() => producer.Dispose();

    /// <inheritdoc/>
    public void ReadCurrent(byte[] rgba) => sink.ReadCurrent(rgba);

    /// <summary>Stops the producer thread, deletes the sink's GL objects and, when it owns it, disposes the source.</summary>
    public void Dispose()
    {
        producer.Dispose();
        sink.Dispose();
        if (ownsSource) source.Dispose();
    }
}
