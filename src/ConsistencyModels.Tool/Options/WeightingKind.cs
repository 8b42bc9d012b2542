namespace ConsistencyModels.Tool.Options;

/// <summary>The loss weighting λ(σ) (seed 004, DESIGN.md).</summary>
public enum WeightingKind
{
    /// <summary>λ = 1 (the consistency-models paper).</summary>
    [CliName("uniform")] Uniform,

    /// <summary>λ = σ⁻² (signal-to-noise ratio).</summary>
    [CliName("snr")] Snr,

    /// <summary>λ = σ⁻² + 1.</summary>
    [CliName("snr+1")] SnrPlusOne,

    /// <summary>λ = σ⁻² + σ_data⁻² (EDM's weighting, Karras et al. 2022).</summary>
    [CliName("karras")] Karras,

    /// <summary>λ = max(σ⁻², 1) (progressive distillation, Salimans &amp; Ho 2022).</summary>
    [CliName("truncated-snr")] TruncatedSnr,

    /// <summary>λ = 1/(σ_{i+1} − σ_i) (iCT, Song &amp; Dhariwal 2023).</summary>
    [CliName("inverse-step")] InverseStep,
}
