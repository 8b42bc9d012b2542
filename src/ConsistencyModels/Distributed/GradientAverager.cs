using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Distributed;

/// <summary>
/// The transport-independent half of gradient averaging: pack gradients into flat float32 CPU buckets, hand each
/// bucket to an in-place SUM all-reduce, divide by the world size, copy back. The transport is a delegate so the
/// packing is tested without MPI.
/// </summary>
public static class GradientAverager
{
    /// <summary>
    /// Averages the gradients of <paramref name="parameters"/> over <paramref name="worldSize"/> ranks.
    /// </summary>
    /// <param name="parameters">Parameters in the same order on every rank. A missing gradient counts as zeros
    /// (and stays missing here).</param>
    /// <param name="worldSize">Number of ranks (≥ 1); the summed buckets are divided by it.</param>
    /// <param name="bucketBytes">Cap on one bucket in bytes (float32: 4 bytes per value).</param>
    /// <param name="allReduceSumInPlace">Sums a contiguous 1-D float32 CPU tensor over ranks, in place.</param>
    public static void Average(IEnumerable<Parameter> parameters, int worldSize, long bucketBytes, Action<Tensor> allReduceSumInPlace)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(allReduceSumInPlace);
        Guard.AtLeast(worldSize, 1);
        Guard.Positive(bucketBytes);
        var list = parameters.ToList();
        var plan = GradientBucketPlan.Plan(list.Select(p => p.numel()).ToArray(), Math.Max(1, bucketBytes / sizeof(float)));
        using var noGrad = torch.no_grad();
        foreach (var bucket in plan)
        {
            if (bucket.Elements == 0) continue;
            using var scope = NewDisposeScope();
            var pieces = new Tensor[bucket.Count];
            for (int i = 0; i < bucket.Count; i++)
            {
                var p = list[bucket.Start + i];
                var g = p.grad;
                // .to(CPU) is the host copy on GPUs (CUDA-aware MPI could reduce device memory directly; untested here).
                pieces[i] = g is null
                    ? zeros(p.numel(), ScalarType.Float32)
                    : g.detach().reshape(-1).to(ScalarType.Float32, CPU);
            }
            var flat = cat(pieces, 0).contiguous();
            allReduceSumInPlace(flat);
            if (worldSize > 1) flat.DivInPlace(worldSize);
            long offset = 0;
            for (int i = 0; i < bucket.Count; i++)
            {
                var p = list[bucket.Start + i];
                long n = p.numel();
                var g = p.grad;
                if (g is not null) g.copy_(flat.narrow(0, offset, n).reshape(g.shape));
                offset += n;
            }
        }
    }
}
