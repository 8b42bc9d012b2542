namespace ConsistencyModels.Networks.Description;

/// <summary>What one step of a <see cref="NetworkDescription"/> computes.</summary>
public enum LayerOpKind
{
    /// <summary>c_noise [B] → [B, 2·half]: a = (c_noise·<see cref="LayerOp.Scale"/>) ⊗ freqs, then [cos a, sin a].</summary>
    NoiseEmbedding,

    /// <summary>y = x·Wᵀ + b for x [B, in], W [out, in], b [out].</summary>
    Linear,

    /// <summary>Row lookup: labels int64 [B] → W[labels] [B, e].</summary>
    Embedding,

    /// <summary>SiLU, x·sigmoid(x).</summary>
    Silu,

    /// <summary>Elementwise a + b (same shape).</summary>
    Add,

    /// <summary>2-D convolution, stride 1, kernel <see cref="LayerOp.Kernel"/> (3 or 1), "same" size; 3×3 pads by
    /// one pixel, circularly when <see cref="LayerOp.Circular"/> (seamless tiling), else with zeros.
    /// <see cref="LayerOp.ZeroInitialized"/> layers start at zero in training.</summary>
    Conv2d,

    /// <summary>GroupNorm over <see cref="LayerOp.Groups"/> groups (biased variance, ε = <see cref="LayerOp.Epsilon"/>)
    /// with a per-channel weight and bias.</summary>
    GroupNorm,

    /// <summary>h·(1 + scale) + shift with (scale, shift) the two halves of p [B, 2C] (first half scale), broadcast
    /// over the pixels of h [B, C, H, W]: the embedding's adaptive GroupNorm modulation.</summary>
    Modulate,

    /// <summary>2×2 average pooling, stride 2.</summary>
    AvgPool2,

    /// <summary>2× nearest-neighbour upsampling.</summary>
    UpsampleNearest2,

    /// <summary>Concatenation of the inputs along channels.</summary>
    Concat,

    /// <summary>Pixel unshuffle by 2: [B, C, H, W] → [B, 4C, H/2, W/2], channel c·4 + i·2 + j = pixel (2h + i, 2w + j).</summary>
    PixelUnshuffle2,

    /// <summary>Pixel shuffle by 2, the inverse of <see cref="PixelUnshuffle2"/>.</summary>
    PixelShuffle2,

    /// <summary>Multi-head self-attention over the pixels with a residual connection: x + proj(softmax(q·kᵀ/√d)·v),
    /// (q, k, v) from a 1×1 convolution of GroupNorm(x) with channels ordered [3, heads, d]; parameters
    /// norm.weight/bias, qkv.weight/bias, proj.weight/bias (in that order). proj starts at zero in training, so the
    /// block starts as the identity.</summary>
    Attention,

    /// <summary>Dropout with probability <see cref="LayerOp.Rate"/>: active only when training (the TorchSharp module
    /// in training mode), the identity at inference, where backends alias its output to its input. Present only when
    /// <see cref="UNetConfig.Dropout"/> &gt; 0 (before each residual block's conv1, as in EDM).</summary>
    Dropout,
}

/// <summary>A named tensor an op reads from the model's weights (its state_dict name and shape).</summary>
/// <param name="Name">The tensor's name in the model file (and in TorchSharp's state_dict).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="IsBuffer">A fixed buffer (not trained), e.g. the noise embedding's frequencies.</param>
public sealed record LayerParameter(string Name, long[] Shape, bool IsBuffer = false)
{
    /// <summary>Elements in the tensor.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>"name [d0, d1, …]".</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// One op of a <see cref="NetworkDescription"/>: reads the values named in <see cref="Inputs"/> (graph inputs
/// "x", "c_noise", "labels" or earlier ops' outputs) and <see cref="Parameters"/>, writes <see cref="Output"/>.
/// Attributes not used by a kind keep their defaults. Pure data, no TorchSharp: the TorchSharp <c>UNet</c> (built and
/// run from it), the TorchScript generator, the ONNX exporter and a GL dispatch planner all walk the same list.
/// </summary>
public sealed record LayerOp(LayerOpKind Kind, string Output, string[] Inputs, LayerParameter[] Parameters)
{
    /// <summary>The module that owns the op's parameters ("enc.0.conv0", "map_layer0", …), or "" for parameter-free ops.</summary>
    public string Module { get; init; } = "";

    /// <summary>Channels of the output (0 where it is not a feature map or embedding).</summary>
    public int Channels { get; init; }

    /// <summary>Convolution kernel size (3 or 1).</summary>
    public int Kernel { get; init; }

    /// <summary>Circular (wrap-around) padding of a 3×3 convolution.</summary>
    public bool Circular { get; init; }

    /// <summary>GroupNorm groups.</summary>
    public int Groups { get; init; }

    /// <summary>GroupNorm ε.</summary>
    public double Epsilon { get; init; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; }

    /// <summary>The noise embedding's input scale (c_noise is multiplied by it before the frequencies).</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>A convolution whose weight and bias start at zero in training (each residual block's conv1 and
    /// out_conv, as EDM's init_zero): a fresh block adds nothing and a fresh network outputs 0. Inference ignores it.</summary>
    public bool ZeroInitialized { get; init; }

    /// <summary>The dropout probability of a <see cref="LayerOpKind.Dropout"/> op.</summary>
    public double Rate { get; init; }

    /// <summary>One line: "output = Kind(inputs; parameters)".</summary>
    public override string ToString() =>
        $"{Output} = {Kind}({string.Join(", ", Inputs)}{(Parameters.Length > 0 ? "; " + string.Join(", ", Parameters.Select(p => p.ToString())) : "")})";
}
