// The U-Net as it was written before it was derived from NetworkDescription (commit 127e65c), kept only as the
// oracle of UNetDerivationTests: the derived module must create the same parameters in the same order with the same
// initialization and compute the same values bit for bit. Not used by anything else.
using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using ConsistencyModels.Networks;

namespace ConsistencyModels.Tests.Networks.Legacy;

/// <summary>
/// Multi-head self-attention over the pixels of a feature map, with a residual connection:
/// x + proj(attention(qkv(norm(x)))). The output projection starts at zero, so the block starts as identity
/// (ADM / EDM UNetBlock attention). Heads of 64 channels where the width allows.
/// </summary>
internal sealed class LegacyAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Conv2d qkv;
    private readonly Conv2d proj;
    private readonly int heads;

    public LegacyAttentionBlock(int channels) : base("LegacyAttentionBlock")
    {
        heads = UNetMemory.Heads(channels);
        norm = Normalization.GroupNorm(channels);
        qkv = nn.Conv2d(channels, 3 * channels, 1);
        proj = nn.Conv2d(channels, channels, 1);
        Init.ZeroParameters(proj);
        RegisterComponents();
    }

    /// <summary>Number of attention heads (64 channels each where the width allows).</summary>
    public int Heads => heads;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        long d = c / heads;
        // [B, 3, heads, d, HW] → q, k, v as [B, heads, HW, d].
        var t = qkv.forward(norm.forward(x)).reshape(b, 3, heads, d, h * w).permute(1, 0, 2, 4, 3);
        var a = nn.functional.scaled_dot_product_attention(t[0], t[1], t[2]);
        var y = a.permute(0, 1, 3, 2).reshape(b, c, h, w);
        return x.Plus(proj.forward(y)).MoveToOuterDisposeScope();
    }
}
