using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime;

/// <summary>
/// The standard-normal noise a seed stands for, on the CPU, built exactly as ModelSampler builds it: a CPU
/// generator seeded with the seed draws z (the first step's noise, [1, 3, H, W]) and then z′ (the second
/// step's re-noising) from the same stream. Tensor.normal_ on a preallocated tensor consumes the generator
/// exactly like randn of the same shape (ATen implements randn as empty(...).normal_()), so the values are
/// bit-identical without allocating a tensor per frame. z′ is drawn lazily (only 2-step requests need it).
/// </summary>
internal sealed class SeedNoise : IDisposable
{
    private readonly Tensor first;
    private readonly Tensor second;

    public SeedNoise(int height, int width)
    {
        first = empty(new long[] { 1, 3, height, width }, ScalarType.Float32, CPU);
        second = empty(new long[] { 1, 3, height, width }, ScalarType.Float32, CPU);
    }

    /// <summary>The seed held (valid only when <see cref="HasFirst"/>).</summary>
    public ulong Seed { get; private set; }

    /// <summary>Whether z for <see cref="Seed"/> is filled.</summary>
    public bool HasFirst { get; private set; }

    /// <summary>Whether z′ for <see cref="Seed"/> is filled.</summary>
    public bool HasSecond { get; private set; }

    /// <summary>Frame counter of the last use (for least-recently-used replacement).</summary>
    public long LastUse { get; set; }

    /// <summary>z as a CPU tensor [1, 3, H, W].</summary>
    public Tensor First => first;

    /// <summary>z′ as a CPU tensor [1, 3, H, W].</summary>
    public Tensor Second => second;

    /// <summary>z as floats.</summary>
    public ReadOnlySpan<float> FirstSpan => MemoryMarshal.Cast<byte, float>(first.bytes);

    /// <summary>z′ as floats.</summary>
    public ReadOnlySpan<float> SecondSpan => MemoryMarshal.Cast<byte, float>(second.bytes);

    /// <summary>Makes this entry hold <paramref name="seed"/>'s noise (z′ too when <paramref name="needSecond"/>).</summary>
    public void Fill(ulong seed, bool needSecond, Generator generator)
    {
        if (HasFirst && Seed == seed && (HasSecond || !needSecond)) return;
        // z′ follows z in the generator's stream, so drawing z′ means drawing z again first.
        generator.manual_seed(unchecked((long)seed));
        first.normal_(0.0, 1.0, generator);
        Seed = seed;
        HasFirst = true;
        HasSecond = false;
        if (needSecond)
        {
            second.normal_(0.0, 1.0, generator);
            HasSecond = true;
        }
    }

    public void Dispose()
    {
        first.Dispose();
        second.Dispose();
    }
}
