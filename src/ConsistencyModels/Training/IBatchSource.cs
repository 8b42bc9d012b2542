using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Training batches as a pure function of (step, rank): the same step always gives the same batch, so a
/// resumed run sees exactly the data of an uninterrupted one, and each MPI rank draws its own share.
/// </summary>
public interface IBatchSource
{
    /// <summary>The number of classes (0 = unconditional).</summary>
    int ClassCount { get; }

    /// <summary>The batch for <paramref name="step"/> on <paramref name="rank"/>: images [B,3,H,W] in [-1,1] and labels [B] (int64) or null.</summary>
    (Tensor Images, Tensor? Labels) GetBatch(long step, int rank, int batchSize);
}
