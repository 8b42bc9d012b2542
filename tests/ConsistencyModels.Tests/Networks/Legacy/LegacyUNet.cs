// The U-Net as it was written before it was derived from NetworkDescription (commit 127e65c), kept only as the
// oracle of UNetDerivationTests: the derived module must create the same parameters in the same order with the same
// initialization and compute the same values bit for bit. Not used by anything else.
using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using ConsistencyModels.Networks;
using Convolution = ConsistencyModels.Networks.Convolution;

namespace ConsistencyModels.Tests.Networks.Legacy;

/// <summary>
/// The raw network F(x; c_noise, class) of the EDM parameterization: a fully convolutional U-Net with the
/// residual blocks, embeddings and widths of EDM's DhariwalUNet (github:NVlabs/edm training/networks.py), but with
/// parameter-free resampling (2×2 average pooling down, nearest-neighbour up, as in the classic U-Net) instead of
/// resampling residual blocks, which costs ≈40 % of the compute at the same width. Optional circular padding
/// (seamless tiling) and a 2× pixel-unshuffle stem. Input and output are [B, C, H, W] with H and W multiples of
/// <see cref="UNetConfig.DownsamplingFactor"/>. The output convolution starts at zero, so a fresh network outputs 0.
/// </summary>
/// <remarks>
/// Layout: conv_in; per level l: (l &gt; 0: avg-pool) then R blocks; two middle blocks; per level from the lowest:
/// (nearest upsample unless lowest) then R + 1 blocks, each taking the concatenation with one encoder skip
/// (conv_in / pooled input and every encoder block output, in reverse order); GroupNorm, SiLU, out_conv.
/// Pooling and nearest upsampling commute with circular shifts by multiples of the downsampling factor, so with
/// circular padding the whole network is shift-equivariant.
/// </remarks>
internal sealed class LegacyUNet : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly LegacyNoiseEmbedding map_noise;
    private readonly Linear map_layer0;
    private readonly Linear map_layer1;
    private readonly Embedding? map_label;
    private readonly Conv2d conv_in;
    private readonly ModuleList<LegacyResBlock> enc;
    private readonly ModuleList<LegacyResBlock> mid;
    private readonly ModuleList<LegacyResBlock> dec;
    private readonly GroupNorm out_norm;
    private readonly Conv2d out_conv;

    /// <summary>Builds the network for <paramref name="config"/> (validated first).</summary>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public LegacyUNet(UNetConfig config) : base("LegacyUNet")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        // Layer constructors leave initialization temporaries to the GC; this scope frees them now, and only the
        // parameters and buffers move out to the caller. (What stays counted in Tensor.TotalCount afterwards are the
        // handle-less wrappers TorchSharp's Parameter constructor empties: no native memory.)
        using var scope = NewDisposeScope();
        Config = config with { ChannelMultipliers = (int[])config.ChannelMultipliers.Clone(), AttentionLevels = (int[])config.AttentionLevels.Clone() };
        var cfg = Config;
        int c = cfg.BaseChannels, e = cfg.ResolvedEmbeddingChannels;
        var padMode = cfg.CircularPadding ? PaddingModes.Circular : PaddingModes.Zeros;
        int levels = cfg.ChannelMultipliers.Length;
        bool Attn(int level) => cfg.AttentionLevels.Contains(level);
        LegacyResBlock Block(int cin, int cout, bool a) => new(cin, cout, e, cfg.Dropout, cfg.CircularPadding, a);

        map_noise = new LegacyNoiseEmbedding(cfg.NoiseEmbedding, c);
        map_layer0 = nn.Linear(c, e);
        map_layer1 = nn.Linear(e, e);
        if (cfg.ClassCount > 0)
            map_label = nn.Embedding(cfg.ClassCount, e);

        int cout = c * cfg.ChannelMultipliers[0];
        conv_in = nn.Conv2d(cfg.InChannels * cfg.StemFactor, cout, 3, padding: 1, padding_mode: padMode);
        var skips = new Stack<int>();
        skips.Push(cout);
        var encBlocks = new List<LegacyResBlock>();
        for (int level = 0; level < levels; level++)
        {
            if (level > 0)
                skips.Push(cout); // the pooled tensor is a skip too
            for (int i = 0; i < cfg.ResBlocksPerLevel; i++)
            {
                int cin = cout;
                cout = c * cfg.ChannelMultipliers[level];
                encBlocks.Add(Block(cin, cout, Attn(level)));
                skips.Push(cout);
            }
        }
        var midBlocks = new[] { Block(cout, cout, Attn(levels - 1)), Block(cout, cout, false) };
        var decBlocks = new List<LegacyResBlock>();
        for (int level = levels - 1; level >= 0; level--)
            for (int i = 0; i <= cfg.ResBlocksPerLevel; i++)
            {
                int cin = cout + skips.Pop();
                cout = c * cfg.ChannelMultipliers[level];
                decBlocks.Add(Block(cin, cout, Attn(level)));
            }
        enc = nn.ModuleList([.. encBlocks]);
        mid = nn.ModuleList(midBlocks);
        dec = nn.ModuleList([.. decBlocks]);
        out_norm = Normalization.GroupNorm(cout);
        out_conv = nn.Conv2d(cout, cfg.OutChannels * cfg.StemFactor, 3, padding: 1, padding_mode: padMode);
        Init.ZeroParameters(out_conv);
        RegisterComponents();
        foreach (var p in parameters()) p.MoveToOuterDisposeScope();
        foreach (var b in buffers()) b.MoveToOuterDisposeScope();
    }

    /// <summary>The architecture (a private copy; do not mutate its arrays).</summary>
    public UNetConfig Config { get; }

    /// <summary>
    /// Layout and precision of the convolutions (default: as the weights are). Training sets it from
    /// <c>--compute</c>; it changes rounding only, so a model trained with one mode samples with any other.
    /// </summary>
    public ConvolutionCompute Compute
    {
        get => compute;
        set
        {
            compute = value;
            foreach (var block in enc.Concat(mid).Concat(dec)) block.Compute = value;
        }
    }

    private ConvolutionCompute compute;

    /// <summary>Total number of trainable parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// F(x; c_noise, class). <paramref name="x"/> is [B, InChannels, H, W] (already scaled by c_in),
    /// <paramref name="cNoise"/> is [B] (= ¼·ln σ), <paramref name="classLabels"/> is int64 [B] in
    /// [0, ClassCount) for a class-conditional network and null otherwise. Returns [B, OutChannels, H, W] in the
    /// type of the weights (inputs are cast to it).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, sizes or labels do not fit the configuration.</exception>
    public override Tensor forward(Tensor x, Tensor cNoise, Tensor? classLabels)
    {
        CheckInputs(x, cNoise, classLabels);
        using var scope = NewDisposeScope();
        var cfg = Config;
        // Compute in the weights' type (float32, or bfloat16 for inference, see NetworkPrecision); the output is
        // in that type too and the preconditioning casts it back.
        var dtype = conv_in.weight!.dtype;
        x = x.to(dtype);

        // The sinusoidal embedding is computed in at least float32 (see LegacyNoiseEmbedding), then cast.
        var emb = map_noise.forward(cNoise.to(x.device)).to(dtype);
        emb = map_layer1.forward(nn.functional.silu(map_layer0.forward(emb)));
        if (map_label is not null)
            emb = emb.Plus(map_label.forward(classLabels!));
        emb = nn.functional.silu(emb);

        var h = cfg.PixelUnshuffleStem ? nn.functional.pixel_unshuffle(x, 2) : x;
        if (compute.HasFlag(ConvolutionCompute.ChannelsLast)) h = Convolution.ToChannelsLast(h);
        h = Convolution.Apply(conv_in, h, 1, cfg.CircularPadding, compute);
        var skips = new Stack<Tensor>();
        skips.Push(h);
        int levels = cfg.ChannelMultipliers.Length, r = cfg.ResBlocksPerLevel, bi = 0;
        for (int level = 0; level < levels; level++)
        {
            if (level > 0)
            {
                h = nn.functional.avg_pool2d(h, [2, 2]);
                skips.Push(h);
            }
            for (int i = 0; i < r; i++)
            {
                h = enc[bi++].forward(h, emb);
                skips.Push(h);
            }
        }
        foreach (var block in mid)
            h = block.forward(h, emb);
        bi = 0;
        for (int level = levels - 1; level >= 0; level--)
        {
            if (level < levels - 1)
                h = nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            for (int i = 0; i <= r; i++)
                h = dec[bi++].forward(cat([h, skips.Pop()], 1), emb);
        }
        h = Convolution.Apply(out_conv, nn.functional.silu(out_norm.forward(h)), 1, cfg.CircularPadding, compute);
        if (cfg.PixelUnshuffleStem)
            h = nn.functional.pixel_shuffle(h, 2);
        return h.MoveToOuterDisposeScope();
    }

    private void CheckInputs(Tensor x, Tensor cNoise, Tensor? classLabels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(cNoise);
        var cfg = Config;
        if (x.dim() != 4 || x.shape[1] != cfg.InChannels)
            throw new ArgumentException($"x must have shape [B, {cfg.InChannels}, H, W], got [{string.Join(", ", x.shape)}].", nameof(x));
        cfg.ValidateImageSize(x.shape[2], x.shape[3]);
        long b = x.shape[0];
        if (cNoise.dim() != 1 || cNoise.shape[0] != b)
            throw new ArgumentException($"cNoise must have shape [{b}] (one value per sample), got [{string.Join(", ", cNoise.shape)}].", nameof(cNoise));
        if (cfg.ClassCount == 0)
        {
            if (classLabels is not null)
                throw new ArgumentException("classLabels must be null for an unconditional network (ClassCount = 0).", nameof(classLabels));
            return;
        }
        if (classLabels is null)
            throw new ArgumentException($"classLabels are required: this network is conditioned on {cfg.ClassCount} classes.", nameof(classLabels));
        if (classLabels.dtype != ScalarType.Int64 || classLabels.dim() != 1 || classLabels.shape[0] != b)
            throw new ArgumentException($"classLabels must be int64 with shape [{b}], got {classLabels.dtype} [{string.Join(", ", classLabels.shape)}].", nameof(classLabels));
        if (b > 0)
        {
            using var minT = classLabels.min();
            using var maxT = classLabels.max();
            long min = minT.item<long>(), max = maxT.item<long>();
            if (min < 0 || max >= cfg.ClassCount)
                throw new ArgumentException($"classLabels must be in [0, {cfg.ClassCount - 1}], got values in [{min}, {max}].", nameof(classLabels));
        }
    }
}
