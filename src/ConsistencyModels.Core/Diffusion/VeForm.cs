namespace ConsistencyModels.Diffusion;

/// <summary>Variance exploding form (Song et al. 2021; EDM's choice): α = 1, σ_t = t, t ∈ [0, ∞).</summary>
public sealed class VeForm : IDiffusionForm
{
    /// <inheritdoc/>
    public string Name => "ve";

    /// <inheritdoc/>
    public double TimeMin => 0.0;

    /// <inheritdoc/>
    public double TimeMax => double.PositiveInfinity;

    /// <inheritdoc/>
    public double Alpha(double t) { Check(t); return 1.0; }

    /// <inheritdoc/>
    public double SigmaT(double t) { Check(t); return t; }

    /// <inheritdoc/>
    public double AlphaDerivative(double t) { Check(t); return 0.0; }

    /// <inheritdoc/>
    public double SigmaTDerivative(double t) { Check(t); return 1.0; }

    /// <inheritdoc/>
    public double EdmSigma(double t) { Check(t); return t; }

    /// <inheritdoc/>
    public double TimeForEdmSigma(double sigma)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        return sigma;
    }

    private static void Check(double t) => Guard.NonNegative(t, nameof(t));
}
