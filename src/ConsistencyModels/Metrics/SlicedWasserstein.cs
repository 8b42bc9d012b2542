using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConsistencyModels.Metrics;

/// <summary>
/// Sliced Wasserstein distance between image sets on Laplacian-pyramid patches (Karras et al. 2018,
/// "Progressive Growing of GANs", Sec. 5 and Appendix D): per level, random 7×7 neighbourhoods are taken from
/// every image, the descriptors are normalized per channel, both sets are projected on the same random unit
/// directions, and the sorted projections are compared (the 1-D Wasserstein-1 distance, averaged over directions).
/// Reported ×10³ like the paper, in two normalizations (<see cref="SwdResult"/>): by the reference (real) set's
/// per-band statistics, which sees blur and lost contrast, and by each set's own, the paper's variant, which does not.
/// </summary>
public static class SlicedWasserstein
{
    // 5-tap binomial filter of the Burt–Adelson pyramid, as in the reference implementation.
    private static readonly float[] Binomial = [1 / 16f, 4 / 16f, 6 / 16f, 4 / 16f, 1 / 16f];

    // Explicit scalars kept alive for the process (implicit number → Scalar conversions can be freed by the GC
    // while native code uses them; DESIGN.md "finalizable Scalars").
    private static readonly Scalar OneIndex = 1L.ToScalar(); // alpha of integer additions (a float alpha is refused)
    private static readonly Scalar StdFloor = 1e-8.ToScalar();

    /// <summary>
    /// SWD between <paramref name="samples"/> and the <paramref name="reference"/> (real) set ([N, 3, H, W], same H and W;
    /// the counts may differ). The real-normalized value uses <paramref name="reference"/>'s statistics for both sets,
    /// so it is not symmetric in its arguments; the per-set value is.
    /// </summary>
    public static SwdResult Compute(Tensor samples, Tensor reference, SwdOptions? options = null)
    {
        options ??= new SwdOptions();
        Guard.AtLeast(options.PatchSize, 1, "options.PatchSize");
        Guard.AtLeast(options.PatchesPerImage, 1, "options.PatchesPerImage");
        Guard.AtLeast(options.Directions, 1, "options.Directions");
        Guard.AtLeast(options.MinResolution, options.PatchSize, "options.MinResolution");
        MetricInputs.CheckBatch(samples, nameof(samples), minSide: options.PatchSize);
        MetricInputs.CheckBatch(reference, nameof(reference), minSide: options.PatchSize);
        MetricInputs.CheckSameImageSize(samples, reference, nameof(samples), nameof(reference));

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int levels = LevelCount((int)Math.Min(samples.shape[2], samples.shape[3]), options.MinResolution);
        var pa = LaplacianPyramid(samples.detach().to(float32).cpu(), levels);
        var pb = LaplacianPyramid(reference.detach().to(float32).cpu(), levels);
        int dim = 3 * options.PatchSize * options.PatchSize;
        var realNormalized = new double[levels];
        var perSet = new double[levels];
        for (int l = 0; l < levels; l++)
        {
            using var levelScope = torch.NewDisposeScope();
            // Both sets draw patch positions from identically seeded generators, so SWD(X, X) = 0 exactly
            // and the per-set result does not depend on argument order.
            ulong levelSeed = (ulong)options.Seed * 1000003UL + (ulong)l;
            using var genA = new Generator(levelSeed);
            using var genB = new Generator(levelSeed);
            using var genDirs = new Generator(levelSeed ^ 0x5DEECE66DUL);
            var da = ExtractPatches(pa[l], options.PatchSize, options.PatchesPerImage, genA);
            var db = ExtractPatches(pb[l], options.PatchSize, options.PatchesPerImage, genB);
            var dirs = RandomDirections(options.Directions, dim, genDirs);
            var (mean, std) = ChannelStatistics(db);
            realNormalized[l] = 1e3 * Distance(Normalize(da, mean, std), Normalize(db, mean, std), dirs);
            perSet[l] = 1e3 * Distance(NormalizeDescriptors(da), NormalizeDescriptors(db), dirs);
        }
        return new SwdResult(new SwdLevels(realNormalized), new SwdLevels(perSet));
    }

    /// <summary>Number of pyramid levels for an image side: halve while the result stays ≥ <paramref name="minResolution"/>.</summary>
    public static int LevelCount(int side, int minResolution)
    {
        int levels = 1;
        while (side / 2 >= minResolution)
        {
            side /= 2;
            levels++;
        }
        return levels;
    }

    /// <summary>
    /// Laplacian pyramid of [N, C, H, W]: level i = G_i − up(G_{i+1}) for i &lt; L−1 and the coarsest Gaussian level last
    /// (Burt and Adelson 1983). Mirror padding, since real crops do not tile.
    /// </summary>
    public static IReadOnlyList<Tensor> LaplacianPyramid(Tensor x, int levels)
    {
        Guard.AtLeast(levels, 1, nameof(levels));
        var gauss = new List<Tensor> { x };
        for (int i = 1; i < levels; i++)
            gauss.Add(PyrDown(gauss[^1]));
        var lap = new List<Tensor>();
        for (int i = 0; i < levels - 1; i++)
            lap.Add(gauss[i].sub(PyrUp(gauss[i + 1], gauss[i].shape[2], gauss[i].shape[3])));
        lap.Add(gauss[^1]);
        return lap;
    }

    /// <summary>Blur with the binomial filter, then keep every second pixel.</summary>
    public static Tensor PyrDown(Tensor x) => Blur(x, 1f)[.., .., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)];

    /// <summary>Insert zeros to <paramref name="h"/>×<paramref name="w"/>, then blur with 4× the filter (preserves the mean).</summary>
    public static Tensor PyrUp(Tensor x, long h, long w)
    {
        var up = torch.zeros(x.shape[0], x.shape[1], h, w, dtype: x.dtype);
        up[.., .., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)] = x;
        return Blur(up, 4f);
    }

    private static Tensor Blur(Tensor x, float gain)
    {
        // Separable: the 5×5 binomial kernel is the outer product of the 1-D one (gain split over both passes).
        long c = x.shape[1];
        float g = MathF.Sqrt(gain);
        var k1 = torch.tensor(Binomial.Select(v => v * g).ToArray()).to(x.dtype);
        var kx = k1.reshape(1, 1, 1, 5).expand(c, 1, 1, 5).contiguous();
        var ky = k1.reshape(1, 1, 5, 1).expand(c, 1, 5, 1).contiguous();
        var padded = F.pad(x, [2, 2, 2, 2], PaddingModes.Reflect);
        return F.conv2d(F.conv2d(padded, kx, groups: c), ky, groups: c);
    }

    /// <summary>
    /// Random <paramref name="patchSize"/>² neighbourhoods of [N, C, H, W], <paramref name="perImage"/> per image at uniform
    /// positions: descriptors [N·perImage, C·patchSize²] (channel-major).
    /// </summary>
    public static Tensor ExtractPatches(Tensor level, int patchSize, int perImage, Generator generator)
    {
        long n = level.shape[0], c = level.shape[1], h = level.shape[2], w = level.shape[3];
        var ys = torch.randint(0, h - patchSize + 1, [n, perImage], generator: generator, dtype: int64);
        var xs = torch.randint(0, w - patchSize + 1, [n, perImage], generator: generator, dtype: int64);
        // Flat index of each patch pixel: (y + dy)·W + x + dx, built in managed code (no implicit scalars).
        var offsetData = new long[patchSize * patchSize];
        for (int dy = 0; dy < patchSize; dy++)
            for (int dx = 0; dx < patchSize; dx++)
                offsetData[dy * patchSize + dx] = dy * w + dx;
        var offsets = torch.tensor(offsetData).reshape(1, 1, -1);                      // [1, 1, p²]
        using var width = w.ToScalar();
        var idx = ys.mul(width).add(xs, OneIndex).unsqueeze(2).add(offsets, OneIndex);          // [N, P, p²]
        var flatIdx = idx.reshape(n, 1, -1).expand(n, c, -1);            // [N, C, P·p²]
        var gathered = level.reshape(n, c, h * w).gather(2, flatIdx);    // [N, C, P·p²]
        return gathered.reshape(n, c, perImage, patchSize * patchSize).permute(0, 2, 1, 3).reshape(n * perImage, c * patchSize * patchSize);
    }

    /// <summary>Per-channel mean and standard deviation [1, 3, 1] over all descriptors [M, 3·p²] (std floored at 1e-8).</summary>
    public static (Tensor Mean, Tensor Std) ChannelStatistics(Tensor descriptors)
    {
        var d = descriptors.reshape(descriptors.shape[0], 3, -1);
        return (d.mean([0, 2], keepdim: true), d.std([0, 2], keepdim: true, unbiased: false).clamp_min(StdFloor));
    }

    /// <summary>Descriptors [M, 3·p²] minus <paramref name="mean"/>, divided by <paramref name="std"/> (per channel, [1, 3, 1]).</summary>
    public static Tensor Normalize(Tensor descriptors, Tensor mean, Tensor std)
    {
        long m = descriptors.shape[0];
        return descriptors.reshape(m, 3, -1).sub(mean).div(std).reshape(m, -1);
    }

    /// <summary>Normalizes descriptors [M, 3·p²] by their own <see cref="ChannelStatistics"/> (the per-set variant).</summary>
    public static Tensor NormalizeDescriptors(Tensor descriptors)
    {
        var (mean, std) = ChannelStatistics(descriptors);
        return Normalize(descriptors, mean, std);
    }

    /// <summary><paramref name="count"/> random unit vectors of dimension <paramref name="dim"/> (rows).</summary>
    public static Tensor RandomDirections(int count, int dim, Generator generator)
    {
        var d = torch.randn([count, dim], generator: generator);
        return d / d.norm(1, keepdim: true);
    }

    /// <summary>
    /// Mean over directions of the 1-D Wasserstein-1 distance between the projections of <paramref name="a"/> [Ma, D] and
    /// <paramref name="b"/> [Mb, D] on <paramref name="directions"/> [K, D]. Unequal counts are matched by quantile.
    /// </summary>
    public static double Distance(Tensor a, Tensor b, Tensor directions)
    {
        using var scope = torch.NewDisposeScope();
        // [K, M] layout: each direction's projections are contiguous, which makes the sort ~2× faster.
        var pa = directions.matmul(a.t()).sort(1).Values;
        var pb = directions.matmul(b.t()).sort(1).Values;
        if (pa.shape[1] != pb.shape[1])
        {
            // Compare at the quantiles of the smaller set: index (i + ½)·M_big / M_small.
            var (small, big) = pa.shape[1] < pb.shape[1] ? (pa, pb) : (pb, pa);
            long ms = small.shape[1], mb = big.shape[1];
            var q = new long[ms];
            for (long i = 0; i < ms; i++)
                q[i] = Math.Clamp((long)Math.Floor((i + 0.5) * mb / ms), 0, mb - 1);
            big = big.index_select(1, torch.tensor(q));
            (pa, pb) = (small, big);
        }
        return pa.sub(pb).abs().mean().item<float>();
    }
}
