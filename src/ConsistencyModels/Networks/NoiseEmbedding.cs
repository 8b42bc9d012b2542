using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>
/// Maps c_noise [B] to sinusoidal features [B, channels] (cosines then sines).
/// Positional: frequencies (1/10000)^(k/(channels/2)), input scaled by 1000 as the consistency-models reference
/// code does for c_noise = ¼·ln σ (github:openai/consistency_models, karras_diffusion.py), so the frequencies
/// cover the range of c_noise. Fourier: fixed random frequencies ~ N(0, 16²) times 2π (EDM FourierEmbedding),
/// kept as a buffer so they are saved with the weights.
/// </summary>
internal sealed class NoiseEmbedding : nn.Module<Tensor, Tensor>
{
    private const double PositionalInputScale = 1000.0;
    private const double MaxPositions = 10000.0;
    private const double FourierScale = 16.0;

    private readonly Tensor freqs;
    private readonly double inputScale;

    public NoiseEmbedding(NoiseEmbeddingKind kind, int channels) : base("NoiseEmbedding")
    {
        int half = channels / 2;
        if (kind == NoiseEmbeddingKind.Positional)
        {
            var k = arange(half, dtype: ScalarType.Float32) / half;
            freqs = pow(1.0 / MaxPositions, k);
            inputScale = PositionalInputScale;
        }
        else
        {
            freqs = randn(half, dtype: ScalarType.Float32) * (2 * Math.PI * FourierScale);
            inputScale = 1.0;
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor cNoise)
    {
        using var scope = NewDisposeScope();
        var x = outer(cNoise.to(freqs.dtype) * inputScale, freqs);
        return cat([x.cos(), x.sin()], 1).MoveToOuterDisposeScope();
    }
}
