using ConsistencyModels.Data;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// The real image sets of <c>cm eval</c>, each drawn with its own fixed seed (independent of --seed), so every
/// model evaluated on the same data, size and count is compared with exactly the same crops:
/// <see cref="Reference"/> (the real set the metrics compare with), <see cref="Train"/> (crops standing for the
/// training data in the nearest-crop check) and, with --real, <see cref="Floor"/> (a second independent real set
/// scored against <see cref="Reference"/>: the value a perfect model would reach).
/// </summary>
internal sealed class EvalCrops : IDisposable
{
    /// <summary>Seed of the reference real crops.</summary>
    public const long ReferenceSeed = 0x5EED_0001;

    /// <summary>Seed of the training-set crops for the nearest-crop distance.</summary>
    public const long TrainSeed = 0x5EED_0002;

    /// <summary>Seed of the floor set (--real).</summary>
    public const long FloorSeed = 0x5EED_0003;

    private EvalCrops(Tensor reference, Tensor referenceLabels, Tensor train, Tensor? floor, bool tiled)
    {
        Reference = reference;
        ReferenceLabels = referenceLabels;
        Train = train;
        Floor = floor;
        Tiled = tiled;
    }

    /// <summary>Reference real crops [N, 3, S, S].</summary>
    public Tensor Reference { get; }

    /// <summary>The dataset class of each reference crop [N] (int64).</summary>
    public Tensor ReferenceLabels { get; }

    /// <summary>Training crops [N, 3, S, S] for the nearest-crop distance.</summary>
    public Tensor Train { get; }

    /// <summary>The second real set for the floor, or null.</summary>
    public Tensor? Floor { get; }

    /// <summary>Whether crops had to be larger than some source image (they then repeat the tile).</summary>
    public bool Tiled { get; }

    /// <summary>
    /// Draws the sets from <paramref name="dataset"/>. With <paramref name="classBalanced"/> (a conditional model evaluated
    /// on its own data) crop i shows class i mod K, the order the samples are asked for, so the real sets and the samples
    /// hold the same class mix; otherwise images are drawn uniformly. The crops take the orientations the model was
    /// trained on (<paramref name="augmentation"/>), so a model that keeps bricks horizontal is compared with horizontal bricks.
    /// </summary>
    public static EvalCrops Draw(TextureDataset dataset, int size, int count, bool floor, bool classBalanced = false,
        Training.CropAugmentation augmentation = Training.CropAugmentation.Dihedral)
    {
        bool tiled = size > dataset.MinSide;
        (Tensor Images, Tensor Labels) Draw(long seed)
        {
            var sampler = new CropSampler(dataset, size, seed, allowTiledCrops: tiled, augmentation: augmentation);
            return classBalanced ? sampler.SampleClassBalanced(count) : sampler.Sample(count);
        }
        Tensor Crops(long seed)
        {
            var (images, labels) = Draw(seed);
            labels.Dispose();
            return images;
        }
        var (reference, referenceLabels) = Draw(ReferenceSeed);
        return new EvalCrops(reference, referenceLabels, Crops(TrainSeed), floor ? Crops(FloorSeed) : null, tiled);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Reference.Dispose();
        ReferenceLabels.Dispose();
        Train.Dispose();
        Floor?.Dispose();
    }
}
