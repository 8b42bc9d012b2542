namespace ConsistencyModels.Diffusion;

/// <summary>
/// Flow matching / rectified flow form (Lipman et al. 2023; Liu et al. 2023): α = 1 − t, σ_t = t,
/// t ∈ [0, 1). EDM σ = t/(1 − t), so t = σ/(1 + σ); t = 1 is pure noise (σ = ∞) and is excluded.
/// </summary>
public sealed class FlowMatchingForm : IDiffusionForm
{
    /// <inheritdoc/>
    public string Name => "flow";

    /// <inheritdoc/>
    public double TimeMin => 0.0;

    /// <summary>Largest valid time: just below 1 (α must stay &gt; 0).</summary>
    public double TimeMax => Math.BitDecrement(1.0);

    /// <inheritdoc/>
    public double Alpha(double t) { Check(t); return 1.0 - t; }

    /// <inheritdoc/>
    public double SigmaT(double t) { Check(t); return t; }

    /// <inheritdoc/>
    public double AlphaDerivative(double t) { Check(t); return -1.0; }

    /// <inheritdoc/>
    public double SigmaTDerivative(double t) { Check(t); return 1.0; }

    /// <inheritdoc/>
    public double EdmSigma(double t) { Check(t); return t / (1.0 - t); }

    /// <inheritdoc/>
    public double TimeForEdmSigma(double sigma)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        return sigma / (1.0 + sigma);
    }

    private void Check(double t)
    {
        if (!(t >= 0.0 && t < 1.0))
            throw new ArgumentOutOfRangeException(nameof(t), t, $"flow-matching time t must be in [0, 1), got {t}.");
    }
}
