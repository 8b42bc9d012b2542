using TorchSharp;

namespace ConsistencyModels.Runtime;

/// <summary>
/// The noise of the last few seeds at one texture size: an animated texture slerps between two seeds, and a third
/// entry keeps the previous pair so a phase that moves on does not redraw. Least recently used entry replaced, never
/// the one passed as <c>keep</c>. One home for both generators (libtorch and ONNX Runtime), so they draw the same noise.
/// </summary>
internal sealed class SeedNoiseCache : IDisposable
{
    private readonly SeedNoise?[] entries;

    /// <summary>A cache of <paramref name="capacity"/> seeds (at least 2: the slerp's pair); empty until <see cref="Resize"/>.</summary>
    public SeedNoiseCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        entries = new SeedNoise?[capacity];
    }

    /// <summary>Drops every entry and allocates empty ones for <paramref name="height"/>×<paramref name="width"/>.</summary>
    public void Resize(int height, int width)
    {
        Clear();
        for (int i = 0; i < entries.Length; i++) entries[i] = new SeedNoise(height, width);
    }

    /// <summary>The noise of <paramref name="seed"/> (drawn with <paramref name="generator"/> if not cached), marked used at <paramref name="frame"/>.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Resize"/> was not called.</exception>
    public SeedNoise Get(ulong seed, bool needSecond, torch.Generator generator, long frame, SeedNoise? keep = null)
    {
        SeedNoise? hit = null;
        foreach (var e in entries)
            if (e is { HasFirst: true } && e.Seed == seed) { hit = e; break; }
        if (hit is null)
        {
            foreach (var e in entries)
                if (e is not null && !ReferenceEquals(e, keep) && (hit is null || e.LastUse < hit.LastUse)) hit = e;
        }
        if (hit is null) throw new InvalidOperationException("SeedNoiseCache.Resize must be called before Get.");
        hit.Fill(seed, needSecond, generator);
        hit.LastUse = frame;
        return hit;
    }

    /// <summary>Frees every entry's tensors.</summary>
    public void Clear()
    {
        for (int i = 0; i < entries.Length; i++) { entries[i]?.Dispose(); entries[i] = null; }
    }

    /// <inheritdoc/>
    public void Dispose() => Clear();
}
