namespace ConsistencyModels.Diffusion;

/// <summary>
/// Sub-VP form (Song et al. 2021, Eq. 29) with EDM's VP schedule: ᾱ(t) = exp(−½β_d t² − β_min t),
/// α = √ᾱ, σ_t = 1 − ᾱ, t ∈ [0, 1]. EDM σ = (1 − ᾱ)/√ᾱ = 2·sinh(g/2) with g = −ln ᾱ, so the
/// inverse is g = 2·asinh(σ/2).
/// </summary>
public sealed class SubVpForm : IDiffusionForm
{
    /// <summary>Creates the form; defaults are EDM's β_min = 0.1, β_d = 19.9.</summary>
    public SubVpForm(double betaMin = 0.1, double betaD = 19.9)
    {
        Guard.NonNegative(betaMin, nameof(betaMin));
        Guard.Positive(betaD, nameof(betaD));
        BetaMin = betaMin;
        BetaD = betaD;
    }

    /// <summary>β_min.</summary>
    public double BetaMin { get; }

    /// <summary>β_d = β_max − β_min.</summary>
    public double BetaD { get; }

    /// <inheritdoc/>
    public string Name => "subvp";

    /// <inheritdoc/>
    public double TimeMin => 0.0;

    /// <inheritdoc/>
    public double TimeMax => 1.0;

    /// <inheritdoc/>
    public double Alpha(double t) => Math.Exp(-0.5 * G(t));

    /// <inheritdoc/>
    public double SigmaT(double t) => -Numerics.Expm1(-G(t));

    /// <inheritdoc/>
    public double AlphaDerivative(double t) => -0.5 * GPrime(t) * Alpha(t);

    /// <summary>dσ_t/dt = g'(t)·e^{−g}.</summary>
    public double SigmaTDerivative(double t) => GPrime(t) * Math.Exp(-G(t));

    /// <inheritdoc/>
    public double EdmSigma(double t) => 2.0 * Math.Sinh(0.5 * G(t));

    /// <inheritdoc/>
    public double TimeForEdmSigma(double sigma)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        double t = VpTime.FromG(2.0 * Math.Asinh(0.5 * sigma), BetaMin, BetaD);
        if (t > TimeMax * (1 + 1e-12))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"sigma must be <= {EdmSigma(TimeMax)} (the sub-VP form's σ at t = 1), got {sigma}.");
        return t;
    }

    private double G(double t)
    {
        Guard.InRange(t, TimeMin, TimeMax, nameof(t));
        return VpTime.G(t, BetaMin, BetaD);
    }

    private double GPrime(double t) => VpTime.GPrime(t, BetaMin, BetaD);
}
