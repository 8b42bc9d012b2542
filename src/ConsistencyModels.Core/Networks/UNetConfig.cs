using System.Text.Json.Serialization;

namespace ConsistencyModels.Networks;

/// <summary>
/// Architecture of a <c>UNet</c>. A record so it can be stored as JSON in a model file's metadata
/// (camelCase property names via <c>ModelMetadata.JsonOptions</c>; the defaults here are the runtime's
/// <see cref="Small"/> model). Layout after EDM's DhariwalUNet (Karras et al. 2022, github:NVlabs/edm
/// training/networks.py): per level <see cref="ResBlocksPerLevel"/> residual blocks in the encoder and one more
/// in the decoder, channel width <see cref="BaseChannels"/>·multiplier, a 2× average-pool / nearest-upsample
/// residual block between levels, and two middle blocks at the lowest resolution.
/// </summary>
public sealed record UNetConfig
{
    /// <summary>Channels of the input image.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Channels of the output F(x).</summary>
    public int OutChannels { get; init; } = 3;

    /// <summary>Width C of the first level; level i has C·ChannelMultipliers[i] channels.</summary>
    public int BaseChannels { get; init; } = 32;

    /// <summary>Width multiplier per resolution level; the number of levels is the length (each level halves the size).</summary>
    public int[] ChannelMultipliers { get; init; } = [1, 2, 4];

    /// <summary>Residual blocks per level in the encoder (the decoder has one more).</summary>
    public int ResBlocksPerLevel { get; init; } = 2;

    /// <summary>Level indices (0 = full resolution) whose blocks end with self-attention; empty = none.
    /// If the last level is listed, the first middle block has attention too.</summary>
    public int[] AttentionLevels { get; init; } = [];

    /// <summary>2× pixel-unshuffle at the input and pixel-shuffle at the output, so the network works at half
    /// resolution inside (DESIGN.md: ≈3× faster at 128² for the same width).</summary>
    public bool PixelUnshuffleStem { get; init; } = true;

    /// <summary>Number of classes for class conditioning; 0 = unconditional.</summary>
    public int ClassCount { get; init; }

    /// <summary>Dropout probability inside the residual blocks (active only in training mode).</summary>
    public double Dropout { get; init; }

    /// <summary>Circular (wrap-around) padding in every 3×3 convolution, so outputs tile seamlessly.</summary>
    public bool CircularPadding { get; init; } = true;

    /// <summary>How c_noise is embedded.</summary>
    public NoiseEmbeddingKind NoiseEmbedding { get; init; } = NoiseEmbeddingKind.Positional;

    /// <summary>Width of the noise/class embedding vector; 0 means 4·<see cref="BaseChannels"/> (the ADM default).</summary>
    public int EmbeddingChannels { get; init; }

    /// <summary>Tiny network for tests: C = 8, two levels, one block per level, attention at level 1, no stem.</summary>
    public static UNetConfig Tiny => new()
    {
        BaseChannels = 8,
        ChannelMultipliers = [1, 2],
        ResBlocksPerLevel = 1,
        AttentionLevels = [1],
        PixelUnshuffleStem = false,
    };

    /// <summary>
    /// The default runtime model: C = 32, widths C/2C/4C, one residual block per level, pixel-unshuffle stem, no
    /// attention (2.4M parameters). One block instead of two costs 1.14 instead of 1.74 GMAC at 128², measured
    /// 35 vs 53 ms per forward on one thread: the real-time budget wants it.
    /// </summary>
    public static UNetConfig Small => new() { ResBlocksPerLevel = 1 };

    /// <summary>A bigger model: C = 64, widths C/2C/4C, two blocks per level, stem, attention at the lowest level.</summary>
    public static UNetConfig Base => new()
    {
        BaseChannels = 64,
        AttentionLevels = [2],
    };

    /// <summary>Height and width of inputs must be multiples of this: 2^(levels−1), times 2 with the stem.</summary>
    [JsonIgnore]
    public int DownsamplingFactor => (1 << Math.Max(0, (ChannelMultipliers?.Length ?? 1) - 1)) * (PixelUnshuffleStem ? 2 : 1);

    /// <summary>The embedding width actually used (resolves the 0 default).</summary>
    [JsonIgnore]
    public int ResolvedEmbeddingChannels => EmbeddingChannels > 0 ? EmbeddingChannels : 4 * BaseChannels;

    /// <summary>Channels the convolutions see at the input/output (×4 with the pixel-unshuffle stem).</summary>
    [JsonIgnore]
    internal int StemFactor => PixelUnshuffleStem ? 4 : 1;

    /// <summary>Throws <see cref="ArgumentException"/> with a message naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Fail(string message) => throw new ArgumentException($"Invalid UNetConfig: {message}");
        if (InChannels < 1) Fail($"InChannels must be >= 1, got {InChannels}.");
        if (OutChannels < 1) Fail($"OutChannels must be >= 1, got {OutChannels}.");
        if (BaseChannels < 4 || BaseChannels % 2 != 0) Fail($"BaseChannels must be an even number >= 4, got {BaseChannels}.");
        if (ChannelMultipliers is null || ChannelMultipliers.Length == 0) Fail("ChannelMultipliers must have at least one level.");
        if (ChannelMultipliers!.Length > 8) Fail($"ChannelMultipliers may have at most 8 levels, got {ChannelMultipliers.Length}.");
        foreach (int m in ChannelMultipliers)
            if (m < 1) Fail($"every ChannelMultipliers entry must be >= 1, got [{string.Join(", ", ChannelMultipliers)}].");
        if (ResBlocksPerLevel < 1) Fail($"ResBlocksPerLevel must be >= 1, got {ResBlocksPerLevel}.");
        if (AttentionLevels is null) Fail("AttentionLevels must not be null (use an empty array for no attention).");
        foreach (int level in AttentionLevels!)
            if (level < 0 || level >= ChannelMultipliers.Length)
                Fail($"AttentionLevels entries must be level indices in [0, {ChannelMultipliers.Length - 1}], got {level}.");
        if (ClassCount < 0) Fail($"ClassCount must be >= 0 (0 = unconditional), got {ClassCount}.");
        if (!(Dropout >= 0 && Dropout < 1)) Fail($"Dropout must be in [0, 1), got {Dropout}.");
        if (EmbeddingChannels < 0) Fail($"EmbeddingChannels must be >= 0 (0 = 4·BaseChannels), got {EmbeddingChannels}.");
        if (!Enum.IsDefined(NoiseEmbedding)) Fail($"NoiseEmbedding must be positional or fourier, got {NoiseEmbedding}.");
    }

    /// <summary>
    /// A lower bound on the weights of a <c>UNet</c> with this (validated) configuration, computed without
    /// building it: the input convolution, the width-preserving 3×3 convolution of every residual block and the
    /// embedding layers. Saturates at <see cref="long.MaxValue"/> instead of overflowing.
    /// </summary>
    public long MinimumParameterCount()
    {
        try
        {
            checked
            {
                long e = ResolvedEmbeddingChannels, c = BaseChannels;
                long w0 = c * ChannelMultipliers[0];
                long total = (long)InChannels * StemFactor * w0 * 9 + e * e + (long)ClassCount * e;
                long wLast = c * ChannelMultipliers[^1];
                total += 2 * 9 * wLast * wLast; // the two middle blocks
                foreach (int m in ChannelMultipliers)
                {
                    long w = c * m;
                    total += (2L * ResBlocksPerLevel + 1) * 9 * w * w; // R encoder + R + 1 decoder blocks
                }
                total += (long)OutChannels * StemFactor * w0 * 9;
                return total;
            }
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="height"/> and <paramref name="width"/> are positive multiples of <see cref="DownsamplingFactor"/>.</summary>
    public void ValidateImageSize(long height, long width)
    {
        int f = DownsamplingFactor;
        if (height < f || width < f || height % f != 0 || width % f != 0)
            throw new ArgumentException(
                $"Image size {height}×{width} is not supported by this network: height and width must be positive multiples of its downsampling factor {f}.");
    }

    /// <summary>Value equality including the contents of the arrays.</summary>
    public bool Equals(UNetConfig? other) =>
        other is not null
        && InChannels == other.InChannels && OutChannels == other.OutChannels && BaseChannels == other.BaseChannels
        && SequenceEqual(ChannelMultipliers, other.ChannelMultipliers) && ResBlocksPerLevel == other.ResBlocksPerLevel
        && SequenceEqual(AttentionLevels, other.AttentionLevels) && PixelUnshuffleStem == other.PixelUnshuffleStem
        && ClassCount == other.ClassCount && Dropout.Equals(other.Dropout) && CircularPadding == other.CircularPadding
        && NoiseEmbedding == other.NoiseEmbedding && EmbeddingChannels == other.EmbeddingChannels;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(InChannels); h.Add(OutChannels); h.Add(BaseChannels); h.Add(ResBlocksPerLevel);
        foreach (int m in ChannelMultipliers ?? []) h.Add(m);
        foreach (int a in AttentionLevels ?? []) h.Add(a);
        h.Add(PixelUnshuffleStem); h.Add(ClassCount); h.Add(Dropout); h.Add(CircularPadding);
        h.Add(NoiseEmbedding); h.Add(EmbeddingChannels);
        return h.ToHashCode();
    }

    private static bool SequenceEqual(int[]? a, int[]? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.AsSpan().SequenceEqual(b));
}
