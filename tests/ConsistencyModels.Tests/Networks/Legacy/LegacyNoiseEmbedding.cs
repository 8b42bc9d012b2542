// The U-Net as it was written before it was derived from NetworkDescription (commit 127e65c), kept only as the
// oracle of UNetDerivationTests: the derived module must create the same parameters in the same order with the same
// initialization and compute the same values bit for bit. Not used by anything else.
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

using ConsistencyModels.Networks;

namespace ConsistencyModels.Tests.Networks.Legacy;

/// <summary>
/// Maps c_noise [B] to sinusoidal features [B, channels] (cosines then sines).
/// Positional: frequencies (1/10000)^(k/(channels/2)), input scaled by 1000 as the consistency-models reference
/// code does for c_noise = ¼·ln σ (github:openai/consistency_models, karras_diffusion.py), so the frequencies
/// cover the range of c_noise. Fourier: fixed random frequencies ~ N(0, 16²) times 2π (EDM FourierEmbedding),
/// kept as a buffer so they are saved with the weights. The frequencies never drop below float32: arguments reach
/// ≈ 1000, where a bfloat16 frequency (8 significant bits) would be off by radians, so a network converted to bf16
/// keeps this layer in float32 and the caller casts its output.
/// </summary>
internal sealed class LegacyNoiseEmbedding : nn.Module<Tensor, Tensor>
{
    private const double PositionalInputScale = 1000.0;
    private const double MaxPositions = 10000.0;
    private const double FourierScale = 16.0;

    private readonly Tensor freqs;
    private readonly double inputScale;

    public LegacyNoiseEmbedding(NoiseEmbeddingKind kind, int channels) : base("LegacyNoiseEmbedding")
    {
        int half = channels / 2;
        if (kind == NoiseEmbeddingKind.Positional)
        {
            var k = ScalarArithmetic.Arange(half, dtype: ScalarType.Float32).Over(half);
            freqs = pow(1.0 / MaxPositions, k);
            inputScale = PositionalInputScale;
        }
        else
        {
            freqs = randn(half, dtype: ScalarType.Float32).Times(2 * Math.PI * FourierScale);
            inputScale = 1.0;
        }
        RegisterComponents();
    }

    /// <summary>Converts to float64 (more precise) but ignores conversions to narrower types.</summary>
    protected override nn.Module _to(ScalarType dtype, bool non_blocking) =>
        KeepsPrecision(dtype) ? this : base._to(dtype, non_blocking);

    /// <inheritdoc cref="_to(ScalarType, bool)"/>
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking) =>
        base._to(device, KeepsPrecision(dtype) ? freqs.dtype : dtype, non_blocking);

    private static bool KeepsPrecision(ScalarType dtype) => dtype is not (ScalarType.Float32 or ScalarType.Float64);

    /// <summary>The factor c_noise is multiplied by before the frequencies.</summary>
    public double InputScale => inputScale;

    /// <summary>The frequencies' type (float32 or float64, whatever the rest of the network runs in).</summary>
    public ScalarType FrequencyType => freqs.dtype;

    public override Tensor forward(Tensor cNoise)
    {
        using var scope = NewDisposeScope();
        var x = outer(cNoise.to(freqs.dtype).Times(inputScale), freqs);
        return cat([x.cos(), x.sin()], 1).MoveToOuterDisposeScope();
    }
}
