namespace ConsistencyModels.Tool.Options;

/// <summary>The diffusion form x_t = α_t·x₀ + σ_t·ε a rectified model is retrained in (DESIGN.md).</summary>
public enum DiffusionFormKind
{
    /// <summary>Flow matching / rectified flow: α = 1 − t, σ_t = t.</summary>
    [CliName("flow")] Flow,

    /// <summary>Variance exploding: α = 1, σ_t = t.</summary>
    [CliName("ve")] Ve,

    /// <summary>Variance preserving: α = √ᾱ_t, σ = √(1 − ᾱ_t).</summary>
    [CliName("vp")] Vp,
}
