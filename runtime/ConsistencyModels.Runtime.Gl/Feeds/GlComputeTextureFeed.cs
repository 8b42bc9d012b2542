using System.Diagnostics;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>
/// The GL compute backend as an <see cref="IGlTextureFeed"/>: each <see cref="Update"/> shows the newest texture the GPU
/// finished (<see cref="GlComputeTextureGenerator.Poll"/>, fences, no waiting) and submits the next one, at the current
/// animation phase, into a free output texture (<see cref="GlComputeTextureGenerator.TrySubmit"/>). Nothing crosses host
/// memory and no thread is involved: generation is queued in the render context itself, so it runs where the renderer
/// already is. <see cref="CurrentTexture"/> is 0 until the first texture is finished. Create, update and dispose it on the
/// GL context's thread. A steady-state <see cref="Update"/> allocates no managed memory.
/// </summary>
public sealed class GlComputeTextureFeed : IGlTextureFeed
{
    private const int Remembered = 8; // more than the three textures that can be in flight
    private readonly GL gl;
    private readonly GlComputeTextureGenerator generator;
    private readonly bool ownsGenerator;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly long[] submittedAt = new long[Remembered];
    private readonly TextureRequest[] submittedRequest = new TextureRequest[Remembered];
    private TextureRequest current, shown;
    private double phase, lastSeconds, generateMs;
    private long late, dropped, shownCount, lastShownSequence;
    private bool stopped;

    /// <summary>Feeds <paramref name="generator"/>'s textures; the first is submitted at the first <see cref="Update"/>.</summary>
    /// <param name="gl">The render context (the generator's).</param>
    /// <param name="generator">The GL backend, made on <paramref name="gl"/>'s context.</param>
    /// <param name="request">The first request.</param>
    /// <param name="ownsGenerator">Whether <see cref="Dispose"/> disposes <paramref name="generator"/> too.</param>
    /// <exception cref="ArgumentException">The request is invalid for the model (steps, class, size not a multiple of
    /// <see cref="GlComputeTextureGenerator.SizeMultiple"/>).</exception>
    public GlComputeTextureFeed(GL gl, GlComputeTextureGenerator generator, TextureRequest request, bool ownsGenerator = false)
    {
        ArgumentNullException.ThrowIfNull(gl);
        ArgumentNullException.ThrowIfNull(generator);
        generator.Validate(request);
        this.gl = gl;
        this.generator = generator;
        this.ownsGenerator = ownsGenerator;
        current = shown = request;
    }

    /// <inheritdoc/>
    public TextureBackend Backend => TextureBackend.Gl;

    /// <inheritdoc/>
    public string Description => generator.Description;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => generator.ClassNames;

    /// <summary>The current request (render thread); validated at the next <see cref="Update"/>, which throws
    /// <see cref="ArgumentException"/> for an invalid one.</summary>
    public TextureRequest Request { get => current; set => current = value; }

    /// <inheritdoc/>
    public bool Animate { get; set; } = true;

    /// <summary>The generator behind the feed (its options, cost, dispatch count).</summary>
    public GlComputeTextureGenerator Generator => generator;

    /// <inheritdoc/>
    public uint CurrentTexture => generator.CurrentTexture;

    /// <inheritdoc/>
    public int Width => shown.Width;

    /// <inheritdoc/>
    public int Height => shown.Height;

    /// <inheritdoc/>
    public double GenerateMilliseconds => generateMs;

    /// <inheritdoc/>
    public TextureRequest ShownRequest => shown;

    /// <inheritdoc/>
    public long Produced => generator.Submitted;

    /// <inheritdoc/>
    public long Shown => shownCount;

    /// <inheritdoc/>
    public long Dropped => dropped;

    /// <inheritdoc/>
    public long Late => late;

    /// <summary>Always null: the GL backend fails synchronously, from <see cref="Update"/>.</summary>
    public Exception? Error => null;

    /// <inheritdoc/>
    public bool Update()
    {
        if (stopped) return false;
        double now = clock.Elapsed.TotalSeconds;
        if (Animate) phase += now - lastSeconds;
        lastSeconds = now;
        generator.Poll();
        var next = current with { Phase = current.Phase + phase };
        if (generator.TrySubmit(next)) // polls again: the newest finished texture may change here too
        {
            int slot = (int)(generator.Submitted % Remembered);
            submittedAt[slot] = Stopwatch.GetTimestamp();
            submittedRequest[slot] = next;
        }
        long sequence = generator.CurrentSequence;
        if (sequence == 0 || sequence == lastShownSequence)
        {
            late++;
            return false;
        }
        int i = (int)(sequence % Remembered);
        generateMs = Stopwatch.GetElapsedTime(submittedAt[i]).TotalMilliseconds;
        shown = submittedRequest[i];
        shownCount++;
        if (lastShownSequence > 0 && sequence > lastShownSequence + 1) dropped += sequence - lastShownSequence - 1;
        lastShownSequence = sequence;
        return true;
    }

    /// <summary>Updates and waits for the GPU (glFinish) until the first texture is shown, the one place this feed
    /// waits; false when none came within <paramref name="timeout"/>.</summary>
    public bool WaitForFirst(TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (shownCount == 0 && !stopped && wait.Elapsed < timeout)
        {
            if (!Update()) gl.Finish();
        }
        return shownCount > 0;
    }

    /// <summary>Stops submitting: later <see cref="Update"/> calls do nothing; <see cref="CurrentTexture"/> stays valid.</summary>
    public void Stop() => stopped = true;

    /// <inheritdoc/>
    public unsafe void ReadCurrent(byte[] rgba)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        long needed = 4L * Width * Height;
        if (rgba.Length < needed) throw new ArgumentException($"{rgba.Length} bytes cannot hold a {Width}×{Height} RGBA8 texture ({needed}).", nameof(rgba));
        if (CurrentTexture == 0) throw new InvalidOperationException("the GL backend has shown no texture yet (WaitForFirst).");
        gl.GetInteger(GetPName.TextureBinding2D, out int previous);
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        gl.BindTexture(TextureTarget.Texture2D, CurrentTexture);
        fixed (byte* p = rgba) gl.GetTexImage(TextureTarget.Texture2D, 0, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        gl.BindTexture(TextureTarget.Texture2D, (uint)previous);
    }

    /// <summary>Disposes the generator (and with it every GL object it made) when the feed owns it.</summary>
    public void Dispose()
    {
        stopped = true;
        if (ownsGenerator) generator.Dispose();
    }
}
