using System.Diagnostics;
using ConsistencyModels.Runtime;
using Silk.NET.OpenGL;

namespace TextureViewer;

/// <summary>
/// Where the viewer's textures come from, seen from the render thread: the libtorch (or procedural) path generates on
/// a thread of its own and uploads through <see cref="GlTextureSink"/> (<see cref="ProducerTextures"/>); the GL compute
/// backend generates in the render context itself and never leaves the GPU (<see cref="ComputeTextures"/>).
/// </summary>
internal interface IViewerTextures : IDisposable
{
    /// <summary>"gl" or "torch" (the backend that runs; "torch" also for the procedural source).</summary>
    string Backend { get; }

    string Description { get; }

    IReadOnlyList<string> ClassNames { get; }

    TextureRequest Request { get; set; }

    bool Animate { get; set; }

    /// <summary>Once per frame on the render thread, never waiting; true when <see cref="CurrentTexture"/> changed.</summary>
    bool Update();

    uint CurrentTexture { get; }

    int Width { get; }

    int Height { get; }

    /// <summary>Milliseconds the newest shown texture took to generate (CPU time of the source, or GPU submit → done).</summary>
    double GenerateMilliseconds { get; }

    /// <summary>The request of the newest shown texture.</summary>
    TextureRequest ShownRequest { get; }

    long Produced { get; }

    long Shown { get; }

    long Dropped { get; }

    long Late { get; }

    Exception? Error { get; }

    /// <summary>Waits (up to <paramref name="timeout"/>) until a first texture can be shown.</summary>
    void WaitForFirst(TimeSpan timeout);

    /// <summary>Stops generating (counters are final afterwards).</summary>
    void Stop();

    /// <summary>The current texture as RGBA8, row 0 first.</summary>
    void ReadCurrent(byte[] rgba);
}

/// <summary>The CPU path: <see cref="TextureProducer"/> on its thread → <see cref="TripleBuffer{T}"/> → <see cref="GlTextureSink"/>.</summary>
internal sealed class ProducerTextures(GL gl, ITextureSource source, TextureRequest request) : IViewerTextures
{
    // Mip chain: the plane is tiled and seen at grazing angles; without mips it shimmers.
    private readonly GlTextureSink sink = new(gl, request.Width, request.Height, new GlTextureSinkOptions { Mipmaps = true });
    private readonly TextureProducer producer = new(source, request, animate: true);

    public string Backend => "torch";
    public string Description => source.Description;
    public IReadOnlyList<string> ClassNames => source.ClassNames;
    public TextureRequest Request { get => producer.Request; set => producer.Request = value; }
    public bool Animate { get => producer.Animate; set => producer.Animate = value; }
    public bool Update() => sink.Update(producer.Frames);
    public uint CurrentTexture => sink.CurrentTexture;
    public int Width => sink.Width;
    public int Height => sink.Height;
    public double GenerateMilliseconds => producer.Frames.Front.GenerateMilliseconds;
    public TextureRequest ShownRequest => producer.Frames.Front.Request;
    public long Produced => producer.Frames.Published;
    public long Shown => producer.Frames.Acquired;
    public long Dropped => producer.Frames.Dropped;
    public long Late => producer.Frames.Late;
    public Exception? Error => producer.Error;

    public void WaitForFirst(TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (!producer.Frames.HasFresh && producer.Error is null && wait.Elapsed < timeout) Thread.Sleep(1);
        if (producer.Error is not null) throw producer.Error;
    }

    public void Stop() => producer.Dispose();

    public void ReadCurrent(byte[] rgba) => sink.ReadCurrent(rgba);

    public void Dispose()
    {
        producer.Dispose();
        sink.Dispose();
    }
}

/// <summary>
/// The GL compute backend in the render context: each frame submits the next texture (phase = animation time) into a
/// free output texture and shows the newest one the GPU finished (fences, no waiting, no host copy).
/// </summary>
internal sealed class ComputeTextures(GL gl, GlComputeTextureGenerator generator, TextureRequest request) : IViewerTextures
{
    private const int Remembered = 8; // more than the three textures that can be in flight
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly long[] submittedAt = new long[Remembered];
    private readonly TextureRequest[] submittedRequest = new TextureRequest[Remembered];
    private TextureRequest current = request, shown = request;
    private double phase, lastSeconds, generateMs;
    private long late, dropped, shownCount, lastShownSequence;

    public string Backend => "gl";
    public string Description => generator.Description;
    public IReadOnlyList<string> ClassNames => generator.ClassNames;
    public TextureRequest Request { get => current; set => current = value; }
    public bool Animate { get; set; } = true;
    public uint CurrentTexture => generator.CurrentTexture;
    public int Width => current.Width;
    public int Height => current.Height;
    public double GenerateMilliseconds => generateMs;
    public TextureRequest ShownRequest => shown;
    public long Produced => generator.Submitted;
    public long Shown => shownCount;
    public long Dropped => dropped;
    public long Late => late;
    public Exception? Error => null;

    public bool Update()
    {
        double now = clock.Elapsed.TotalSeconds;
        if (Animate) phase += now - lastSeconds;
        lastSeconds = now;
        bool changed = generator.Poll();
        if (changed)
        {
            long sequence = generator.CurrentSequence;
            int i = (int)(sequence % Remembered);
            generateMs = Stopwatch.GetElapsedTime(submittedAt[i]).TotalMilliseconds;
            shown = submittedRequest[i];
            shownCount++;
            if (lastShownSequence > 0 && sequence > lastShownSequence + 1) dropped += sequence - lastShownSequence - 1;
            lastShownSequence = sequence;
        }
        else late++;
        var next = current with { Phase = current.Phase + phase };
        if (generator.TrySubmit(next))
        {
            int i = (int)(generator.Submitted % Remembered);
            submittedAt[i] = Stopwatch.GetTimestamp();
            submittedRequest[i] = next;
        }
        return changed;
    }

    public void WaitForFirst(TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (!generator.HasFrame && wait.Elapsed < timeout)
        {
            Update();
            gl.Finish();
        }
        if (!generator.HasFrame) throw new TimeoutException($"the GL backend produced no texture within {timeout.TotalSeconds:F0} s.");
    }

    public void Stop() { }

    public unsafe void ReadCurrent(byte[] rgba)
    {
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        fixed (byte* p = rgba) gl.GetTextureImage(generator.CurrentTexture, 0, PixelFormat.Rgba, PixelType.UnsignedByte, (uint)rgba.Length, p);
    }

    public void Dispose() => generator.Dispose();
}
