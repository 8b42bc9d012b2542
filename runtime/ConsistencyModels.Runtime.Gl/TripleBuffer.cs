namespace ConsistencyModels.Runtime;

/// <summary>
/// Lock-free single-producer / single-consumer triple buffer. The producer fills <see cref="Back"/> and
/// calls <see cref="Publish"/>; the consumer calls <see cref="TryAcquire"/> at frame start and gets the
/// newest published slot. Neither side ever waits: a frame published before the previous one was taken
/// replaces it (counted in <see cref="Dropped"/>), and a consumer that finds nothing new keeps its current
/// slot (counted in <see cref="Late"/>). The three slots are the back (producer), the middle (shared, the
/// newest finished) and the front (consumer); only indices move, never the data.
/// </summary>
/// <typeparam name="T">The slot type (e.g. <see cref="TextureFrame"/>).</typeparam>
public sealed class TripleBuffer<T> where T : class
{
    private const int FreshBit = 4;
    private readonly T[] slots;
    private int back;
    private int front;
    // Middle slot index in bits 0–1, FreshBit set while it holds a frame the consumer has not taken.
    private int middle;
    private long published, dropped, acquired, late;

    /// <summary>Creates the buffer with three slots made by <paramref name="create"/>.</summary>
    public TripleBuffer(Func<T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        slots = [create(), create(), create()];
        back = 0;
        middle = 1;
        front = 2;
    }

    /// <summary>The producer's slot: write the next frame here, then call <see cref="Publish"/>. Producer thread only.</summary>
    public T Back => slots[back];

    /// <summary>The consumer's current slot (the newest frame taken so far). Consumer thread only.</summary>
    public T Front => slots[front];

    /// <summary>True when a published frame is waiting to be taken.</summary>
    public bool HasFresh => (Volatile.Read(ref middle) & FreshBit) != 0;

    /// <summary>Frames published by the producer.</summary>
    public long Published => Interlocked.Read(ref published);

    /// <summary>Published frames replaced by a newer one before the consumer took them (never shown).</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Frames taken by the consumer.</summary>
    public long Acquired => Interlocked.Read(ref acquired);

    /// <summary>Consumer polls that found no new frame (the producer was late; the previous frame is shown again).</summary>
    public long Late => Interlocked.Read(ref late);

    /// <summary>Hands the back slot to the consumer as the newest frame and gives the producer a free slot. Never blocks.</summary>
    public void Publish()
    {
        // Interlocked.Exchange is a full fence: the slot's contents are visible before its index is.
        var old = Interlocked.Exchange(ref middle, back | FreshBit);
        back = old & 3;
        Interlocked.Increment(ref published);
        if ((old & FreshBit) != 0) Interlocked.Increment(ref dropped);
    }

    /// <summary>
    /// Takes the newest published frame if there is one. Returns true and the new front slot, or false and
    /// the unchanged front slot (counted as late). Never blocks.
    /// </summary>
    public bool TryAcquire(out T frame)
    {
        if ((Volatile.Read(ref middle) & FreshBit) == 0)
        {
            Interlocked.Increment(ref late);
            frame = slots[front];
            return false;
        }
        var old = Interlocked.Exchange(ref middle, front);
        front = old & 3;
        Interlocked.Increment(ref acquired);
        frame = slots[front];
        return true;
    }
}
