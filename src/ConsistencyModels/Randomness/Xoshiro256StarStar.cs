namespace ConsistencyModels.Randomness;

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018): a small, fast PRNG whose whole state is four 64-bit words,
/// so it can be saved in a checkpoint and restored for bit-exact resume (System.Random cannot).
/// Seeded through SplitMix64 as its authors recommend.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator from a 64-bit seed via SplitMix64.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Restores a generator from a saved state (see <see cref="State"/>).</summary>
    public Xoshiro256StarStar(IReadOnlyList<ulong> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != 4 || state.All(s => s == 0))
            throw new ArgumentException("state must be 4 words, not all zero.", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>The current state (four words); pass to the restoring constructor to continue the same stream.</summary>
    public ulong[] State => [_s0, _s1, _s2, _s3];

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>) (Lemire's multiply-shift; bias below 2⁻³²).</summary>
    public int NextInt(int n)
    {
        Guard.AtLeast(n, 1, nameof(n));
        return (int)Math.BigMul(NextUInt64(), (ulong)n, out _);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
