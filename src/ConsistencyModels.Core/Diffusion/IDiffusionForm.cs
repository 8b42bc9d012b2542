namespace ConsistencyModels.Diffusion;

/// <summary>
/// A diffusion form x_t = α(t)·x₀ + σ_t(t)·ε in its own time variable t. Every form maps to the
/// EDM form by x = x_t/α(t) and σ = σ_t(t)/α(t) (Karras et al. 2022, Sec. 2 and Table 1), so one
/// denoiser and one solver serve them all. All members are pure functions of t.
/// </summary>
public interface IDiffusionForm
{
    /// <summary>Short name for logs and tables ("ve", "vp", "subvp", "flow").</summary>
    string Name { get; }

    /// <summary>Smallest valid time (σ = 0 there).</summary>
    double TimeMin { get; }

    /// <summary>Largest valid time (may be +∞ for VE).</summary>
    double TimeMax { get; }

    /// <summary>Signal scale α(t).</summary>
    double Alpha(double t);

    /// <summary>Noise scale σ_t(t) of the form (not the EDM σ).</summary>
    double SigmaT(double t);

    /// <summary>dα/dt.</summary>
    double AlphaDerivative(double t);

    /// <summary>dσ_t/dt.</summary>
    double SigmaTDerivative(double t);

    /// <summary>The EDM noise level σ(t) = σ_t(t)/α(t).</summary>
    double EdmSigma(double t);

    /// <summary>The inverse of <see cref="EdmSigma"/>: the time t at which σ_t/α = <paramref name="sigma"/>.</summary>
    double TimeForEdmSigma(double sigma);
}
