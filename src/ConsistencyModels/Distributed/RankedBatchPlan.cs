using TorchSharp;

namespace ConsistencyModels.Distributed;

/// <summary>
/// How the samples of one global batch are split over ranks, and where each rank's randomness comes from.
/// <para>The global batch of G samples is cut into S equal <b>shards</b> (S divisible by the world size K; by
/// default S = K, one shard per rank). Rank r owns the contiguous shards r·S/K … (r+1)·S/K − 1, so the ranks'
/// samples concatenated in rank order are the shards in order 0..S−1.</para>
/// <para>Seeding (documented contract): shard s of a run with base seed σ₀ draws from the stream seeded
/// <c>ShardSeed = σ₀·1_000_003 + s</c> (64-bit wrap-around; with S = K this is the usual "seed·1_000_003 + rank").
/// The randomness of step t in shard s (data indices, noise, σ) comes from a fresh generator seeded
/// <c>SplitMix64(ShardSeed ⊕ SplitMix64(t))</c>: stateless, so a resumed run draws exactly what the uninterrupted
/// run would have drawn.</para>
/// <para>Consequences: (1) K ranks with per-rank batch B see at step t exactly the samples a single process sees
/// with batch K·B and the same shard count (<see cref="ForSingleProcess"/>), which the K-versus-1 test checks;
/// (2) with G and S fixed, the sample stream does not depend on K, so a run can be resumed on any K that divides S
/// and continue the same stream.</para>
/// </summary>
public sealed class RankedBatchPlan
{
    /// <summary>Creates the plan of one rank.</summary>
    /// <param name="seed">Base seed of the run (same on every rank).</param>
    /// <param name="rank">This rank, 0 ≤ rank &lt; worldSize.</param>
    /// <param name="worldSize">Number of ranks K (≥ 1).</param>
    /// <param name="perRankBatch">Samples this rank draws per step, B (≥ 1).</param>
    /// <param name="shardCount">Shards S per global batch; 0 means S = K. Must be a multiple of K, and B·K divisible by S.</param>
    public RankedBatchPlan(long seed, int rank, int worldSize, int perRankBatch, int shardCount = 0)
    {
        Guard.AtLeast(worldSize, 1);
        Guard.AtLeast(perRankBatch, 1);
        Guard.AtLeast(shardCount, 0);
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize - 1}] for world size {worldSize}, got {rank}.");
        int s = shardCount == 0 ? worldSize : shardCount;
        if (s % worldSize != 0)
            throw new ArgumentException($"The shard count ({s}) must be a multiple of the number of ranks ({worldSize}).", nameof(shardCount));
        int shardsPerRank = s / worldSize;
        if (perRankBatch % shardsPerRank != 0)
            throw new ArgumentException($"The per-rank batch ({perRankBatch}) must be divisible by the shards per rank ({shardsPerRank}).", nameof(perRankBatch));
        Seed = seed;
        Rank = rank;
        WorldSize = worldSize;
        PerRankBatch = perRankBatch;
        ShardCount = s;
        ShardBatch = perRankBatch / shardsPerRank;
        Shards = Enumerable.Range(rank * shardsPerRank, shardsPerRank).ToArray();
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

    /// <summary>Shards S per global batch.</summary>
    public int ShardCount { get; }

    /// <summary>Samples per shard, G/S.</summary>
    public int ShardBatch { get; }

    /// <summary>The shards this rank draws, in order; concatenating all ranks' shards in rank order gives 0..S−1.</summary>
    public IReadOnlyList<int> Shards { get; }

    /// <summary>Plan for one rank given the global batch, which must be divisible by the world size (and the shard count).</summary>
    public static RankedBatchPlan FromGlobalBatch(long seed, int rank, int worldSize, int globalBatch, int shardCount = 0)
    {
        Guard.AtLeast(worldSize, 1);
        Guard.AtLeast(globalBatch, 1);
        if (globalBatch % worldSize != 0)
            throw new ArgumentException($"The global batch ({globalBatch}) must be divisible by the number of ranks ({worldSize}).", nameof(globalBatch));
        return new RankedBatchPlan(seed, rank, worldSize, globalBatch / worldSize, shardCount);
    }

    /// <summary>
    /// The plan of a single process that reproduces a K-rank run with per-rank batch B and S shards
    /// (S = 0 means S = K): batch K·B, the same S shards, all owned by rank 0.
    /// </summary>
    public static RankedBatchPlan ForSingleProcess(long seed, int worldSize, int perRankBatch, int shardCount = 0)
    {
        Guard.AtLeast(worldSize, 1);
        Guard.AtLeast(perRankBatch, 1);
        return new RankedBatchPlan(seed, 0, 1, worldSize * perRankBatch, shardCount == 0 ? worldSize : shardCount);
    }

    /// <summary>σ₀·1_000_003 + s with 64-bit wrap-around.</summary>
    public static long ComputeShardSeed(long seed, int shard) => unchecked(seed * 1_000_003L + shard);

    /// <summary>The seed of <paramref name="shard"/>'s randomness at <paramref name="step"/> (≥ 0).</summary>
    public long StepSeed(int shard, long step)
    {
        if (shard < 0 || shard >= ShardCount)
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard must be in [0, {ShardCount - 1}], got {shard}.");
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be >= 0.");
        return unchecked((long)SplitMix64((ulong)ComputeShardSeed(Seed, shard) ^ SplitMix64((ulong)step)));
    }

    /// <summary>A new CPU generator seeded with <see cref="StepSeed"/>; the caller disposes it. Draw
    /// <see cref="ShardBatch"/> samples from it.</summary>
    public torch.Generator CreateGenerator(int shard, long step) => new torch.Generator(unchecked((ulong)StepSeed(shard, step)));

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
