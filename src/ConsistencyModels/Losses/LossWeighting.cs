using ConsistencyModels.Naming;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>λ(σ) for the consistency losses, as in the reference code's get_weightings (seed 004).</summary>
public enum LossWeightingKind
{
    /// <summary>λ = 1 (the consistency-models paper's choice).</summary>
    [Name("uniform")] Uniform,
    /// <summary>λ = SNR = σ⁻².</summary>
    [Name("snr")] Snr,
    /// <summary>λ = SNR + 1.</summary>
    [Name("snr+1")] SnrPlusOne,
    /// <summary>λ = SNR + σd⁻² (EDM's λ up to a constant in the consistency parameterization).</summary>
    [Name("karras")] Karras,
    /// <summary>λ = max(SNR, 1) (progressive distillation, Salimans &amp; Ho 2022).</summary>
    [Name("truncated-snr")] TruncatedSnr,
    /// <summary>λ = 1/(σ_n − σ_{n+1}) (iCT, Song &amp; Dhariwal 2023): only for losses on a pair of adjacent grid levels
    /// (<see cref="LossWeighting.NeedsStep"/>).</summary>
    [Name("inverse-step")] InverseStep,
}

/// <summary>Computes λ(σ) for a batch.</summary>
public static class LossWeighting
{
    /// <summary>Whether <paramref name="kind"/> reads the next grid level σ_{n+1} (only losses that compare two adjacent
    /// levels, CD and CT, have one).</summary>
    public static bool NeedsStep(LossWeightingKind kind) => kind switch
    {
        LossWeightingKind.InverseStep => true,
        LossWeightingKind.Uniform or LossWeightingKind.Snr or LossWeightingKind.SnrPlusOne or LossWeightingKind.Karras
            or LossWeightingKind.TruncatedSnr => false,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown weighting"),
    };

    /// <summary>λ for per-sample σ of shape [B] (and, for <see cref="LossWeightingKind.InverseStep"/>, the next grid
    /// level σ_{n+1} [B]); returns [B].</summary>
    /// <exception cref="ArgumentException">The weighting needs <paramref name="sigmaNext"/> and it is null.</exception>
    public static Tensor Compute(LossWeightingKind kind, Tensor sigma, double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData,
        Tensor? sigmaNext = null)
    {
        if (kind == LossWeightingKind.InverseStep)
        {
            if (sigmaNext is null)
                throw new ArgumentException("the inverse-step weighting 1/(σ_n − σ_{n+1}) needs the next grid level; this loss has none.", nameof(sigmaNext));
            using var gap = sigma - sigmaNext;
            return gap.reciprocal();
        }
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
}
