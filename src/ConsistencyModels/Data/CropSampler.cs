using ConsistencyModels.Randomness;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Data;

/// <summary>
/// Draws random square training crops from a <see cref="TextureDataset"/>: uniform image, uniform offset on the
/// torus (the sources tile, so a crop may wrap around the right/bottom edge), random left-right and
/// top-bottom flips and a random number of quarter turns (fewer under another <see cref="Training.CropAugmentation"/>). Deterministic given the seed; the state can be
/// saved and restored for bit-exact resume. Images are drawn uniformly (so a class folder with more images is drawn
/// more often). Not thread-safe: use one sampler per thread.
/// </summary>
public sealed class CropSampler
{
    private readonly TextureDataset _dataset;
    private readonly Training.CropAugmentation _augmentation;
    private Xoshiro256StarStar _rng;

    /// <summary>Creates a sampler.</summary>
    /// <param name="dataset">Source images.</param>
    /// <param name="cropSize">Crop side in pixels.</param>
    /// <param name="seed">PRNG seed.</param>
    /// <param name="allowTiledCrops">
    /// Allow crops larger than a source image (the crop then repeats the tile). Default (null): allowed when the
    /// sources tile (<see cref="TextureDataset.Tiles"/>: a 128² crop of a 64² pattern is that texture as a game shows it,
    /// repeats included), refused for other images, where a crop larger than its source shows the same content more
    /// than once across seams, which a model would learn as structure.
    /// </param>
    /// <param name="augmentation">The orientations a crop is drawn in (the random stream is the same for each, so a
    /// seed draws the same images and offsets under every augmentation).</param>
    /// <exception cref="DataException">An image is smaller than the crop and tiled crops are not allowed.</exception>
    public CropSampler(TextureDataset dataset, int cropSize, long seed, bool? allowTiledCrops = null,
        Training.CropAugmentation augmentation = Training.CropAugmentation.Dihedral)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Guard.AtLeast(cropSize, 1, nameof(cropSize));
        if (dataset.Images.Count == 0)
            throw new ArgumentException("dataset must contain at least one image.", nameof(dataset));
        if (!(allowTiledCrops ?? dataset.Tiles))
            foreach (var img in dataset.Images)
                if (Math.Min(img.Pixels.Height, img.Pixels.Width) < cropSize)
                    throw new DataException($"Image {img.SourcePath} is {img.Pixels.Width}x{img.Pixels.Height}, smaller than the {cropSize}x{cropSize} crop.", img.SourcePath);
        if (!Enum.IsDefined(augmentation))
            throw new ArgumentOutOfRangeException(nameof(augmentation), augmentation, "unknown crop augmentation");
        _dataset = dataset;
        _augmentation = augmentation;
        CropSize = cropSize;
        _rng = new Xoshiro256StarStar(unchecked((ulong)seed));
    }

    /// <summary>Crop side in pixels.</summary>
    public int CropSize { get; }

    /// <summary>How many crops have been drawn so far.</summary>
    public long CropsDrawn { get; private set; }

    /// <summary>Draws a batch: images [B, 3, c, c] float32 in [-1, 1] and class labels [B] int64 (caller owns both).</summary>
    public (Tensor Images, Tensor Labels) Sample(int batchSize)
    {
        Guard.AtLeast(batchSize, 1, nameof(batchSize));
        return Draw(batchSize, _ => _dataset.Images[_rng.NextInt(_dataset.Images.Count)]);
    }

    /// <summary>
    /// Like <see cref="Sample"/>, but crop b shows class b mod K (K = the dataset's class count; an image of that class
    /// drawn uniformly), the order in which <c>cm eval</c> asks a conditional model for samples: each class gets its
    /// share, so two real sets differ only by their crops, not by a random class mix.
    /// </summary>
    public (Tensor Images, Tensor Labels) SampleClassBalanced(int count)
    {
        Guard.AtLeast(count, 1, nameof(count));
        var byClass = Enumerable.Range(0, _dataset.ClassNames.Count)
            .Select(c => _dataset.Images.Where(i => i.ClassIndex == c).ToArray()).ToArray();
        if (byClass.Any(images => images.Length == 0))
            throw new InvalidOperationException("every class of the dataset must have an image.");
        return Draw(count, b =>
        {
            var images = byClass[b % byClass.Length];
            return images.Length == 1 ? images[0] : images[_rng.NextInt(images.Length)];
        });
    }

    private (Tensor Images, Tensor Labels) Draw(int batchSize, Func<int, TextureImage> pick)
    {
        int c = CropSize;
        int per = 3 * c * c;
        var data = new float[batchSize * per];
        var labels = new long[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            var img = pick(b);
            int top = _rng.NextInt(img.Pixels.Height);
            int left = _rng.NextInt(img.Pixels.Width);
            ulong bits = _rng.NextUInt64();
            var t = CropTransform.FromBits(bits, _augmentation);
            Crop(img.Pixels, top, left, c, t, data.AsSpan(b * per, per));
            labels[b] = img.ClassIndex;
        }
        CropsDrawn += batchSize;
        return (torch.tensor(data, new long[] { batchSize, 3, c, c }), torch.tensor(labels, new long[] { batchSize }));
    }

    /// <summary>The current state; <see cref="RestoreState"/> continues exactly from here.</summary>
    public CropSamplerState SaveState() => new(_rng.State, CropsDrawn);

    /// <summary>Continues from a state saved by <see cref="SaveState"/> (on a sampler over the same data and crop size).</summary>
    public void RestoreState(CropSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _rng = new Xoshiro256StarStar(state.Rng);
        CropsDrawn = state.CropsDrawn;
    }

    /// <summary>
    /// Copies the <paramref name="size"/>² crop whose top-left source pixel is (<paramref name="top"/>, <paramref name="left"/>),
    /// wrapping around the edges, then applies <paramref name="transform"/>; writes planar [3, size, size] into <paramref name="destination"/>.
    /// </summary>
    public static void Crop(PlanarImage source, int top, int left, int size, CropTransform transform, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        Guard.AtLeast(size, 1, nameof(size));
        Guard.InRange(transform.Rot90, 0, 3, "transform.Rot90");
        if (destination.Length < 3 * size * size)
            throw new ArgumentException($"destination must hold 3*{size}*{size} floats, got {destination.Length}.", nameof(destination));
        int h = source.Height, w = source.Width, plane = h * w, n = size - 1;
        var src = source.Data;
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++)
            {
                // Map the output pixel back through the transform: undo k counter-clockwise quarter turns
                // (torch.rot90: out[i, j] = in[j, n - i]), then the flips.
                int u = i, v = j;
                for (int k = 0; k < transform.Rot90; k++)
                    (u, v) = (v, n - u);
                if (transform.FlipV) u = n - u;
                if (transform.FlipH) v = n - v;
                int sy = Mod(top + u, h), sx = Mod(left + v, w);
                int o = i * size + j, s = sy * w + sx;
                destination[o] = src[s];
                destination[size * size + o] = src[plane + s];
                destination[2 * size * size + o] = src[2 * plane + s];
            }
        }
    }

    /// <summary><see cref="Crop(PlanarImage,int,int,int,CropTransform,Span{float})"/> into a new tensor [3, size, size].</summary>
    public static Tensor Crop(PlanarImage source, int top, int left, int size, CropTransform transform)
    {
        var data = new float[3 * size * size];
        Crop(source, top, left, size, transform, data);
        return torch.tensor(data, new long[] { 3, size, size });
    }

    private static int Mod(int a, int m) => ((a % m) + m) % m;
}
