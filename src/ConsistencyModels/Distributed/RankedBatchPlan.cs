using TorchSharp;

namespace ConsistencyModels.Distributed;

/// <summary>
/// How the samples of one global batch are split over ranks, and where each rank's randomness comes from.
/// <para>Seeding (documented contract): rank r of a job with base seed s draws from the stream seeded
/// <c>RankSeed = s·1_000_003 + r</c> (64-bit wrap-around; 1_000_003 is prime, so distinct (s, r) pairs with
/// r &lt; 1_000_003 give distinct streams). The randomness of step t on rank r (data indices, noise, σ) comes
/// from a fresh generator seeded <c>StepSeed = SplitMix64(RankSeed ⊕ SplitMix64(t))</c>: stateless, so a resumed
/// run draws exactly what the uninterrupted run would have drawn.</para>
/// <para>Equivalence: K ranks with per-rank batch B see, at step t, the union over r = 0..K−1 of rank r's B samples.
/// A single process reproduces that global batch of K·B samples by drawing with the plans of all K ranks
/// (<see cref="ForAllRanks"/>) in rank order and concatenating — that is what the K-versus-1 test does.</para>
/// </summary>
public sealed class RankedBatchPlan
{
    /// <summary>Creates the plan of one rank.</summary>
    /// <param name="seed">Base seed of the run (same on every rank).</param>
    /// <param name="rank">This rank, 0 ≤ rank &lt; worldSize.</param>
    /// <param name="worldSize">Number of ranks K (≥ 1).</param>
    /// <param name="perRankBatch">Samples this rank draws per step, B (≥ 1).</param>
    public RankedBatchPlan(long seed, int rank, int worldSize, int perRankBatch)
    {
        Guard.AtLeast(worldSize, 1);
        Guard.AtLeast(perRankBatch, 1);
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize - 1}] for world size {worldSize}, got {rank}.");
        Seed = seed;
        Rank = rank;
        WorldSize = worldSize;
        PerRankBatch = perRankBatch;
    }

    /// <summary>Base seed of the run.</summary>
    public long Seed { get; }

    /// <summary>The rank this plan belongs to.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks K.</summary>
    public int WorldSize { get; }

    /// <summary>Samples drawn by this rank per step, B.</summary>
    public int PerRankBatch { get; }

    /// <summary>Samples per step over all ranks, K·B (what a single process must use to be equivalent).</summary>
    public int GlobalBatch => WorldSize * PerRankBatch;

    /// <summary>Seed of this rank's stream, s·1_000_003 + r.</summary>
    public long RankSeed => ComputeRankSeed(Seed, Rank);

    /// <summary>Plan for one rank given the global batch, which must be divisible by the world size.</summary>
    public static RankedBatchPlan FromGlobalBatch(long seed, int rank, int worldSize, int globalBatch)
    {
        Guard.AtLeast(worldSize, 1);
        Guard.AtLeast(globalBatch, 1);
        if (globalBatch % worldSize != 0)
            throw new ArgumentException($"The global batch ({globalBatch}) must be divisible by the number of ranks ({worldSize}).", nameof(globalBatch));
        return new RankedBatchPlan(seed, rank, worldSize, globalBatch / worldSize);
    }

    /// <summary>The plans of ranks 0..K−1, for a single process that reproduces a K-rank run's global batches.</summary>
    public static IReadOnlyList<RankedBatchPlan> ForAllRanks(long seed, int worldSize, int perRankBatch)
    {
        Guard.AtLeast(worldSize, 1);
        return Enumerable.Range(0, worldSize).Select(r => new RankedBatchPlan(seed, r, worldSize, perRankBatch)).ToArray();
    }

    /// <summary>s·1_000_003 + r with 64-bit wrap-around.</summary>
    public static long ComputeRankSeed(long seed, int rank) => unchecked(seed * 1_000_003L + rank);

    /// <summary>The seed of this rank's randomness at <paramref name="step"/> (≥ 0).</summary>
    public long StepSeed(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be >= 0.");
        return unchecked((long)SplitMix64((ulong)RankSeed ^ SplitMix64((ulong)step)));
    }

    /// <summary>A new CPU generator seeded with <see cref="StepSeed"/>; the caller disposes it.</summary>
    public torch.Generator CreateGenerator(long step) => new torch.Generator(unchecked((ulong)StepSeed(step)));

    /// <summary>SplitMix64 finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix, so distinct inputs stay distinct.</summary>
    public static ulong SplitMix64(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}
