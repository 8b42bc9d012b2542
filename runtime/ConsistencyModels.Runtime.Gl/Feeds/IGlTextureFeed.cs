namespace ConsistencyModels.Runtime;

/// <summary>
/// A texture for the render thread each frame, never waiting, whichever backend makes it: the libtorch (or any
/// <see cref="ITextureSource"/>) path that generates on a thread of its own and uploads through
/// <see cref="GlTextureSink"/> (<see cref="ProducerTextureFeed"/>), or the GL compute backend that generates in the
/// render context itself and never leaves the GPU (<see cref="GlComputeTextureFeed"/>).
/// <para>
/// Why one interface: which backend is faster depends on the machine the game runs on (compute shaders win on a
/// hardware GPU, libtorch wins on a software renderer such as Mesa's llvmpipe, docs/RESULTS.md), so the choice is made
/// at run time (<see cref="GlTextureFeeds.Create"/>) and the render loop must not care which one it got. A frame is:
/// <see cref="Update"/>, then draw with <see cref="CurrentTexture"/>.
/// </para>
/// Create, use and dispose it on the thread of the GL context it was made with.
/// </summary>
public interface IGlTextureFeed : IDisposable
{
    /// <summary>The backend that runs: <see cref="TextureBackend.Gl"/> or <see cref="TextureBackend.Torch"/> (the
    /// latter for any CPU <see cref="ITextureSource"/>, the procedural one included); never Auto.</summary>
    TextureBackend Backend { get; }

    /// <summary>The model (or source) description, for logs and window titles.</summary>
    string Description { get; }

    /// <summary>The class names of the model (empty when unconditional).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The current request; setting it schedules new textures (while animating its phase is offset by the
    /// animation clock). Validated against the model when set or, for the GL backend, at the next <see cref="Update"/>.</summary>
    TextureRequest Request { get; set; }

    /// <summary>Whether the texture animates (the phase advances by one seed per second).</summary>
    bool Animate { get; set; }

    /// <summary>Once per frame on the render thread, never waiting: makes the newest finished texture current (and, for
    /// the GL backend, queues the next one). True when <see cref="CurrentTexture"/> changed.</summary>
    bool Update();

    /// <summary>The texture to draw with, a GL texture name of the feed's context. Before the first texture is shown:
    /// the sink's mid-grey placeholder (CPU path) or 0 (GL path; see <see cref="WaitForFirst"/>).</summary>
    uint CurrentTexture { get; }

    /// <summary>Width of <see cref="CurrentTexture"/>.</summary>
    int Width { get; }

    /// <summary>Height of <see cref="CurrentTexture"/>.</summary>
    int Height { get; }

    /// <summary>Milliseconds the newest shown texture took to generate (CPU time of the source, or GPU submit → done).</summary>
    double GenerateMilliseconds { get; }

    /// <summary>The request of the newest shown texture (its class, seed and phase).</summary>
    TextureRequest ShownRequest { get; }

    /// <summary>Textures generated (CPU path) or submitted to the GPU (GL path) so far.</summary>
    long Produced { get; }

    /// <summary>Textures that became <see cref="CurrentTexture"/>.</summary>
    long Shown { get; }

    /// <summary>Textures that were finished but replaced by a newer one before being shown.</summary>
    long Dropped { get; }

    /// <summary><see cref="Update"/> calls that found no newer texture (the frame reused the previous one).</summary>
    long Late { get; }

    /// <summary>The failure that stopped the CPU source's thread, or null (the GL backend throws from <see cref="Update"/> instead).</summary>
    Exception? Error { get; }

    /// <summary>Waits (up to <paramref name="timeout"/>) until a first texture can be shown: for a loading screen, or a
    /// first frame that must not be the placeholder. False when none came in time (the feed keeps going: a later
    /// <see cref="Update"/> shows it).</summary>
    /// <exception cref="Exception">The CPU source failed (its exception, rethrown).</exception>
    bool WaitForFirst(TimeSpan timeout);

    /// <summary>Stops generating; the counters are final and <see cref="CurrentTexture"/> stays valid until <see cref="IDisposable.Dispose"/>.</summary>
    void Stop();

    /// <summary>Reads <see cref="CurrentTexture"/> back as RGBA8, row 0 first (<see cref="Width"/>·<see cref="Height"/>·4
    /// bytes): for screenshots and tests, not per frame.</summary>
    void ReadCurrent(byte[] rgba);
}
