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
/// Residual block of EDM's DhariwalUNet (UNetBlock with adaptive_scale, without resampling):
/// h = conv0(SiLU(norm0(x))); h = SiLU(norm1(h)·(1 + scale) + shift) with (scale, shift) = affine(emb);
/// h = conv1(dropout(h)) (conv1 starts at zero); out = h + skip(x) (1×1 conv if the width changes),
/// then optional self-attention.
/// </summary>
internal sealed class LegacyResBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm0;
    private readonly Conv2d conv0;
    private readonly Linear affine;
    private readonly GroupNorm norm1;
    private readonly Dropout dropout;
    private readonly Conv2d conv1;
    private readonly Conv2d? skip;
    private readonly LegacyAttentionBlock? attn;
    private readonly bool circular;

    // addcmul's value as a Scalar that lives as long as the process: an implicit `1` makes a temporary native
    // Scalar whose finalizer can run while libtorch still reads it (seen as a crash in toFloat after ~1000 steps).
    private static readonly Scalar One = 1.0.ToScalar();

    public LegacyResBlock(int inChannels, int outChannels, int embChannels, double dropoutP, bool circular, bool attention)
        : base("LegacyResBlock")
    {
        this.circular = circular;
        var padMode = circular ? PaddingModes.Circular : PaddingModes.Zeros;
        norm0 = Normalization.GroupNorm(inChannels);
        conv0 = nn.Conv2d(inChannels, outChannels, 3, padding: 1, padding_mode: padMode);
        affine = nn.Linear(embChannels, 2 * outChannels);
        norm1 = Normalization.GroupNorm(outChannels);
        dropout = nn.Dropout(dropoutP);
        conv1 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, padding_mode: padMode);
        Init.ZeroParameters(conv1);
        if (inChannels != outChannels)
            skip = nn.Conv2d(inChannels, outChannels, 1);
        if (attention)
            attn = new LegacyAttentionBlock(outChannels);
        RegisterComponents();
    }

    /// <summary>Layout and precision of the convolutions (set through <see cref="LegacyUNet.Compute"/>).</summary>
    public ConvolutionCompute Compute { get; set; }

    /// <summary>Channels this block outputs.</summary>
    public long OutChannels => conv1.weight.shape[0];

    public override Tensor forward(Tensor x, Tensor emb)
    {
        using var scope = NewDisposeScope();
        var h = Convolution.Apply(conv0, nn.functional.silu(norm0.forward(x)), 1, circular, Compute);
        var p = affine.forward(emb).unsqueeze(-1).unsqueeze(-1);
        var scaleShift = p.chunk(2, 1);
        h = nn.functional.silu(torch.addcmul(scaleShift[1], norm1.forward(h), scaleShift[0].Plus(1), One));
        h = Convolution.Apply(conv1, dropout.forward(h), 1, circular, Compute);
        h = h.Plus(skip is not null ? Convolution.Apply(skip, x, 0, false, Compute) : x);
        if (attn is not null) h = attn.forward(h);
        return h.MoveToOuterDisposeScope();
    }
}
