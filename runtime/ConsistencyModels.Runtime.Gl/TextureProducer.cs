using System.Diagnostics;

namespace ConsistencyModels.Runtime;

/// <summary>
/// Runs an <see cref="ITextureSource"/> on its own thread and publishes each texture through a
/// <see cref="TripleBuffer{T}"/> of <see cref="TextureFrame"/>s, so the render thread never waits on
/// generation. Generates when the request changes, continuously while <see cref="Animate"/> is on
/// (capped at <see cref="MaxFramesPerSecond"/>). The source is used only on the producer thread; the
/// caller keeps ownership of it and disposes it after this producer. One source feeds at most one live producer
/// (a second one on the same source throws: they would share its buffers). A failure of the source stops the
/// producer and is raised to the caller: the <see cref="Failed"/> event (on the producer thread) and a faulted
/// <see cref="Completion"/>, besides the <see cref="Error"/> property.
/// </summary>
public sealed class TextureProducer : IDisposable
{
    private readonly ITextureSource source;
    private readonly Lock gate = new();
    private readonly AutoResetEvent wake = new(false);
    private readonly Thread thread;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TextureRequest request;
    private bool animate;
    private bool dirty = true;
    private volatile bool stopping;
    private long sequence;
    private double animationTime;
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ITextureSource, TextureProducer> Owners = new();

    /// <summary>Creates and starts the producer thread; the first frame is generated right away.</summary>
    /// <param name="source">The texture source (used only on the producer thread from now on).</param>
    /// <param name="initial">The first request.</param>
    /// <param name="animate">Whether to regenerate continuously with an advancing phase.</param>
    public TextureProducer(ITextureSource source, TextureRequest initial, bool animate = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        initial.Validate(source.ClassNames.Count);
        lock (Owners)
        {
            if (Owners.TryGetValue(source, out var owner) && !owner.stopping && owner.Error is null)
                throw new InvalidOperationException(
                    $"{source.Description} already feeds another TextureProducer: a source generates on one thread at a time "
                    + "and its buffers are shared between calls. Make one generator per producer, or dispose the first producer.");
            Owners.AddOrUpdate(source, this);
        }
        this.source = source;
        request = initial;
        this.animate = animate;
        thread = new Thread(Run) { IsBackground = true, Name = "texture generation" };
        thread.Start();
    }

    /// <summary>The handoff to the render thread: call <see cref="TripleBuffer{T}.TryAcquire"/> there.</summary>
    public TripleBuffer<TextureFrame> Frames { get; } = new(() => new TextureFrame());

    /// <summary>The source's description.</summary>
    public string SourceDescription => source.Description;

    /// <summary>Upper bound on generated frames per second while animating (0 = unbounded).</summary>
    public double MaxFramesPerSecond { get; set; } = 120;

    /// <summary>Animation speed: phase seconds per wall-clock second.</summary>
    public double AnimationSpeed { get; set; } = 1.0;

    /// <summary>The first exception the source threw (the producer stops generating after it), or null.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Raised on the producer thread when the source throws; the producer stops generating after it.
    /// A handler that throws is ignored (the error stays in <see cref="Error"/> and <see cref="Completion"/>).</summary>
    public event EventHandler<TextureProducerFailedEventArgs>? Failed;

    /// <summary>Completes when the producer stops: faulted with the source's exception when it failed, successfully
    /// on <see cref="Dispose"/>. <c>await producer.Completion</c> rethrows the failure in the caller.</summary>
    public Task Completion => completion.Task;

    /// <summary>The current request (any thread). Setting it schedules a new texture; while animating its phase is replaced by the animation clock.</summary>
    public TextureRequest Request
    {
        get { lock (gate) return request; }
        set
        {
            value.Validate(source.ClassNames.Count);
            lock (gate) { request = value; dirty = true; }
            wake.Set();
        }
    }

    /// <summary>Whether the texture animates (any thread).</summary>
    public bool Animate
    {
        get { lock (gate) return animate; }
        set
        {
            lock (gate) { animate = value; dirty = true; }
            wake.Set();
        }
    }

    private void Run()
    {
        var last = clock.Elapsed.TotalSeconds;
        while (!stopping)
        {
            TextureRequest current;
            bool animating;
            lock (gate)
            {
                current = request;
                animating = animate;
                if (!animating && !dirty)
                    current = default;
                dirty = false;
            }
            var now = clock.Elapsed.TotalSeconds;
            if (animating) animationTime += (now - last) * AnimationSpeed;
            last = now;
            if (current.Width == 0)
            {
                wake.WaitOne(100);
                continue;
            }
            if (animating) current = current with { Phase = current.Phase + animationTime };

            var frame = Frames.Back;
            frame.EnsureSize(current.Width, current.Height);
            var start = Stopwatch.GetTimestamp();
            try
            {
                source.Generate(current, frame.Pixels);
            }
            catch (Exception e)
            {
                Error = e;
                try
                {
                    Failed?.Invoke(this, new TextureProducerFailedEventArgs(e, current));
                }
                catch
                {
                    // A handler's own failure must not hide the source's error (kept in Error and Completion).
                }
                completion.TrySetException(e);
                return;
            }
            frame.GenerateMilliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            frame.Request = current;
            frame.Sequence = ++sequence;
            Frames.Publish();

            if (animating && MaxFramesPerSecond > 0)
            {
                var budget = 1000.0 / MaxFramesPerSecond - Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (budget > 1) wake.WaitOne((int)budget);
            }
        }
    }

    /// <summary>Stops and joins the producer thread (the source is not disposed).</summary>
    public void Dispose()
    {
        if (stopping) return;
        stopping = true;
        wake.Set();
        thread.Join();
        wake.Dispose();
        lock (Owners)
            if (Owners.TryGetValue(source, out var owner) && ReferenceEquals(owner, this)) Owners.Remove(source);
        completion.TrySetResult();
    }
}

/// <summary>The failure of a <see cref="TextureProducer"/>'s source: the exception and the request it was serving.</summary>
public sealed class TextureProducerFailedEventArgs(Exception error, TextureRequest request) : EventArgs
{
    /// <summary>What the source threw.</summary>
    public Exception Error { get; } = error;

    /// <summary>The request being generated when it threw.</summary>
    public TextureRequest Request { get; } = request;
}
