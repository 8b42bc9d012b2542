namespace ConsistencyModels.Distributed;

/// <summary>One bucket of consecutive tensors: tensors [Start, Start+Count) holding Elements values in total.</summary>
/// <param name="Start">Index of the first tensor in the bucket.</param>
/// <param name="Count">Number of tensors in the bucket.</param>
/// <param name="Elements">Total number of values in the bucket (the all-reduce count).</param>
public readonly record struct GradientBucket(int Start, int Count, long Elements);

/// <summary>
/// Groups consecutive gradient tensors into flat buckets of at most a given size, so one all-reduce moves one
/// bucket (few large messages are far cheaper than many small ones: each costs ~2(K−1) latencies in a ring).
/// </summary>
public static class GradientBucketPlan
{
    /// <summary>Default bucket size, 25 MB of float32 (PyTorch DDP's default bucket_cap_mb).</summary>
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    /// <summary>
    /// Greedy plan: tensors stay in order; a bucket is closed when adding the next tensor would exceed
    /// <paramref name="maxBucketElements"/>. A tensor larger than the cap gets a bucket of its own (never split).
    /// </summary>
    /// <param name="elementCounts">Number of values of each tensor (≥ 0).</param>
    /// <param name="maxBucketElements">Cap per bucket (≥ 1).</param>
    public static IReadOnlyList<GradientBucket> Plan(IReadOnlyList<long> elementCounts, long maxBucketElements)
    {
        ArgumentNullException.ThrowIfNull(elementCounts);
        if (maxBucketElements < 1)
            throw new ArgumentOutOfRangeException(nameof(maxBucketElements), maxBucketElements, "maxBucketElements must be >= 1.");
        var buckets = new List<GradientBucket>();
        int start = 0;
        long elements = 0;
        for (int i = 0; i < elementCounts.Count; i++)
        {
            long n = elementCounts[i];
            if (n < 0) throw new ArgumentException($"elementCounts[{i}] must be >= 0, got {n}.", nameof(elementCounts));
            if (n > int.MaxValue)
                throw new ArgumentException($"elementCounts[{i}] = {n} exceeds MPI's int count limit ({int.MaxValue}).", nameof(elementCounts));
            if (i > start && elements + n > maxBucketElements)
            {
                buckets.Add(new GradientBucket(start, i - start, elements));
                start = i;
                elements = 0;
            }
            elements += n;
        }
        if (elementCounts.Count > start) buckets.Add(new GradientBucket(start, elementCounts.Count - start, elements));
        return buckets;
    }
}
