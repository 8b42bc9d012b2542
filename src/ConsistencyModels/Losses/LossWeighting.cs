using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>λ(σ) for the consistency losses, as in the reference code's get_weightings (seed 004).</summary>
public enum LossWeightingKind
{
    /// <summary>λ = 1 (the consistency-models paper's choice).</summary>
    Uniform,
    /// <summary>λ = SNR = σ⁻².</summary>
    Snr,
    /// <summary>λ = SNR + 1.</summary>
    SnrPlusOne,
    /// <summary>λ = SNR + σd⁻² (EDM's λ up to a constant in the consistency parameterization).</summary>
    Karras,
    /// <summary>λ = max(SNR, 1).</summary>
    TruncatedSnr,
}

/// <summary>Computes λ(σ) for a batch.</summary>
public static class LossWeighting
{
    /// <summary>λ(σ) for per-sample σ of shape [B]; returns [B].</summary>
    public static Tensor Compute(LossWeightingKind kind, Tensor sigma, double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData)
    {
        using var snr = sigma.Square().reciprocal();
        return kind switch
        {
            LossWeightingKind.Uniform => ones_like(sigma),
            LossWeightingKind.Snr => snr.clone(),
            LossWeightingKind.SnrPlusOne => snr.Plus(1.0),
            LossWeightingKind.Karras => snr.Plus(1.0 / (sigmaData * sigmaData)),
            LossWeightingKind.TruncatedSnr => snr.ClampMin(1.0),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown weighting"),
        };
    }

    /// <summary>Parses uniform, snr, snr+1, karras or truncated-snr.</summary>
    public static LossWeightingKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "uniform" => LossWeightingKind.Uniform,
        "snr" => LossWeightingKind.Snr,
        "snr+1" => LossWeightingKind.SnrPlusOne,
        "karras" => LossWeightingKind.Karras,
        "truncated-snr" => LossWeightingKind.TruncatedSnr,
        _ => throw new ArgumentException($"unknown weighting '{name}': expected uniform, snr, snr+1, karras or truncated-snr"),
    };

    /// <summary>The command-line name of a weighting.</summary>
    public static string Name(LossWeightingKind kind) => kind switch
    {
        LossWeightingKind.Uniform => "uniform",
        LossWeightingKind.Snr => "snr",
        LossWeightingKind.SnrPlusOne => "snr+1",
        LossWeightingKind.Karras => "karras",
        _ => "truncated-snr",
    };
}
