using ConsistencyModels.Data;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Random wrap-around crops from a <see cref="TextureDataset"/> as a pure function of (step, rank): each call
/// seeds a fresh <see cref="CropSampler"/> with <see cref="Trainer.StepSeed"/>, so resumed and distributed
/// runs draw exactly the crops they should.
/// </summary>
public sealed class CropBatchSource : IBatchSource
{
    private readonly TextureDataset _dataset;
    private readonly long _seed;
    private readonly bool _conditional;
    private readonly CropAugmentation _augmentation;

    /// <summary>Creates the source; <paramref name="conditional"/> = false drops the class labels;
    /// <paramref name="augmentation"/> is the orientations crops are drawn in.</summary>
    public CropBatchSource(TextureDataset dataset, int cropSize, long seed, bool conditional,
        CropAugmentation augmentation = CropAugmentation.Dihedral)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        CropSize = cropSize;
        _seed = seed;
        _conditional = conditional && dataset.ClassNames.Count > 1;
        _augmentation = augmentation;
        _ = new CropSampler(dataset, cropSize, seed, augmentation: augmentation); // validates sizes once, up front
    }

    /// <summary>The crop side in pixels.</summary>
    public int CropSize { get; }

    /// <inheritdoc />
    public int ClassCount => _conditional ? _dataset.ClassNames.Count : 0;

    /// <inheritdoc />
    public (Tensor Images, Tensor? Labels) GetBatch(long step, int rank, int batchSize)
    {
        var sampler = new CropSampler(_dataset, CropSize, Trainer.StepSeed(_seed ^ 0x5EED_C0DEL, step, rank), augmentation: _augmentation);
        var (images, labels) = sampler.Sample(batchSize);
        if (_conditional) return (images, labels);
        labels.Dispose();
        return (images, null);
    }
}
