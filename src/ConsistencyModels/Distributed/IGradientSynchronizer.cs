using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Distributed;

/// <summary>
/// What a data-parallel trainer needs from the process group: who am I, start all replicas equal,
/// average the gradients after backward, agree on scalars, stop everyone on a fault.
/// <see cref="SingleProcessSynchronizer"/> (world size 1, no-op) is the default; <see cref="MpiSynchronizer"/>
/// is used under <c>mpirun ... --distributed mpi</c>; disposing it finalizes MPI. All methods are collective: every rank must call them
/// in the same order with tensors of the same shapes.
/// </summary>
/// <example>
/// A trainer's loop (only rank 0 writes; EMA weights need no communication because every rank applies the
/// same averaged update):
/// <code>
/// using var sync = GradientSynchronizerFactory.Create(GradientSynchronizerFactory.ParseMode(distributedOption));
/// return DistributedRunner.RunOrAbort(sync, () =>
/// {
///     // on --resume: rank 0 loads the checkpoint (any K wrote it), then the broadcast hands it to everyone
///     sync.BroadcastParameters(model.parameters().Concat(model.buffers()));
///     var plan = RankedBatchPlan.FromGlobalBatch(seed, sync.Rank, sync.WorldSize, globalBatch);
///     for (long step = start; step &lt; steps; step++)
///     {
///         // draw plan.ShardBatch samples from plan.CreateGenerator(shard, step) for each shard in plan.Shards
///         loss.backward();
///         if (sync.AnyRankNonFinite(loss.item&lt;float&gt;())) return 4;   // all ranks stop together
///         sync.AverageGradients(model.parameters());
///         optimizer.step();
///         if (sync.IsPrimary) { /* checkpoint (atomic), log, grids */ }
///     }
///     return 0;
/// });
/// </code>
/// </example>
public interface IGradientSynchronizer : IDisposable
{
    /// <summary>This process's rank, 0 ≤ Rank &lt; WorldSize.</summary>
    int Rank { get; }

    /// <summary>Number of processes (ranks) in the job.</summary>
    int WorldSize { get; }

    /// <summary>True on rank 0, the only rank that writes checkpoints, logs and images.</summary>
    bool IsPrimary { get; }

    /// <summary>Overwrites every tensor with rank 0's values (in place, any dtype), so all replicas start equal.</summary>
    void BroadcastParameters(IEnumerable<Tensor> tensors);

    /// <summary>
    /// Replaces each parameter's gradient by its mean over ranks. With a per-rank loss that is a mean over the
    /// rank's B samples, the result is the gradient of the mean loss over all K·B samples.
    /// Parameters without a gradient on this rank contribute zeros.
    /// </summary>
    void AverageGradients(IEnumerable<Parameter> parameters);

    /// <summary>Combines one scalar over ranks (e.g. the loss for logging, or a non-finite flag with Max).</summary>
    double AllReduceScalar(double value, ReduceOperation operation);

    /// <summary>Waits until every rank has reached this call.</summary>
    void Barrier();

    /// <summary>
    /// Stops the whole job now: writes <paramref name="message"/> as one line to stderr and terminates every rank
    /// with <paramref name="errorCode"/> (MPI_Abort; a single process just exits). Never returns.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    void Abort(int errorCode, string message);
}
