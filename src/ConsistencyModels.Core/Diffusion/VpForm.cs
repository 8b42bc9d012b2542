namespace ConsistencyModels.Diffusion;

/// <summary>
/// EDM's variance preserving form (Karras et al. 2022, Table 1, after Song et al. 2021):
/// ᾱ(t) = exp(−½β_d t² − β_min t), α = √ᾱ, σ_t = √(1 − ᾱ), t ∈ [0, 1].
/// EDM σ(t) = √(e^{½β_d t² + β_min t} − 1); its inverse solves ½β_d t² + β_min t = ln(1 + σ²).
/// </summary>
public sealed class VpForm : IDiffusionForm
{
    /// <summary>Creates the form; defaults are EDM's β_min = 0.1, β_d = 19.9.</summary>
    public VpForm(double betaMin = 0.1, double betaD = 19.9)
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
    public string Name => "vp";

    /// <inheritdoc/>
    public double TimeMin => 0.0;

    /// <inheritdoc/>
    public double TimeMax => 1.0;

    /// <inheritdoc/>
    public double Alpha(double t) => Math.Exp(-0.5 * G(t));

    /// <inheritdoc/>
    public double SigmaT(double t) => Math.Sqrt(-Numerics.Expm1(-G(t)));

    /// <inheritdoc/>
    public double AlphaDerivative(double t) => -0.5 * GPrime(t) * Alpha(t);

    /// <summary>dσ_t/dt = ½·g'(t)·e^{−g}/σ_t; infinite at t = 0 where σ_t = 0.</summary>
    public double SigmaTDerivative(double t) => 0.5 * GPrime(t) * Math.Exp(-G(t)) / SigmaT(t);

    /// <inheritdoc/>
    public double EdmSigma(double t) => Math.Sqrt(Numerics.Expm1(G(t)));

    /// <inheritdoc/>
    public double TimeForEdmSigma(double sigma)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        double g = Numerics.Log1p(sigma * sigma);
        double t = VpTime.FromG(g, BetaMin, BetaD);
        if (t > TimeMax * (1 + 1e-12))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"sigma must be <= {EdmSigma(TimeMax)} (the VP form's σ at t = 1), got {sigma}.");
        return t;
    }

    /// <summary>g(t) = ½β_d t² + β_min t = −ln ᾱ(t).</summary>
    private double G(double t)
    {
        Guard.InRange(t, TimeMin, TimeMax, nameof(t));
        return VpTime.G(t, BetaMin, BetaD);
    }

    private double GPrime(double t) => VpTime.GPrime(t, BetaMin, BetaD);
}
