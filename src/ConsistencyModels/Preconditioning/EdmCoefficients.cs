using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// EDM preconditioning (Karras et al. 2022, Table 1): D(x;σ) = c_skip·x + c_out·F(c_in·x; c_noise).
/// The raw network F never sees σ scaling; these coefficients keep its inputs and targets at unit variance.
/// </summary>
public static class EdmCoefficients
{
    /// <summary>σ_data of the EDM paper, the standard deviation assumed for data in [-1, 1].</summary>
    public const double DefaultSigmaData = 0.5;

    /// <summary>c_skip = σd² / (σ² + σd²).</summary>
    public static double CSkip(double sigma, double sigmaData = DefaultSigmaData)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        return sigmaData * sigmaData / (sigma * sigma + sigmaData * sigmaData);
    }

    /// <summary>c_out = σ·σd / √(σ² + σd²).</summary>
    public static double COut(double sigma, double sigmaData = DefaultSigmaData)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        return sigma * sigmaData / Math.Sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    /// <summary>c_in = 1 / √(σ² + σd²).</summary>
    public static double CIn(double sigma, double sigmaData = DefaultSigmaData)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        return 1.0 / Math.Sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    /// <summary>c_noise = ¼·ln σ (σ &gt; 0).</summary>
    public static double CNoise(double sigma)
    {
        Guard.Positive(sigma, nameof(sigma));
        return 0.25 * Math.Log(sigma);
    }

    /// <summary>Loss weight λ(σ) = (σ² + σd²) / (σ·σd)², which makes the effective target unit-variance.</summary>
    public static double LossWeight(double sigma, double sigmaData = DefaultSigmaData)
    {
        Guard.Positive(sigma, nameof(sigma));
        return (sigma * sigma + sigmaData * sigmaData) / (sigma * sigmaData * sigma * sigmaData);
    }

    /// <summary>c_skip for a tensor of per-sample σ (any shape; broadcasts like σ).</summary>
    public static Tensor CSkip(Tensor sigma, double sigmaData = DefaultSigmaData) =>
        sigma.Square().Plus(sigmaData * sigmaData).DividedInto(sigmaData * sigmaData);

    /// <summary>c_out for a tensor of per-sample σ.</summary>
    public static Tensor COut(Tensor sigma, double sigmaData = DefaultSigmaData) =>
        sigma.Times(sigmaData) / sigma.Square().Plus(sigmaData * sigmaData).sqrt();

    /// <summary>c_in for a tensor of per-sample σ.</summary>
    public static Tensor CIn(Tensor sigma, double sigmaData = DefaultSigmaData) =>
        sigma.Square().Plus(sigmaData * sigmaData).rsqrt();

    /// <summary>c_noise = ¼·ln σ for a tensor of per-sample σ.</summary>
    public static Tensor CNoise(Tensor sigma) => sigma.log().Times(0.25);

    /// <summary>λ(σ) for a tensor of per-sample σ.</summary>
    public static Tensor LossWeight(Tensor sigma, double sigmaData = DefaultSigmaData) =>
        (sigma.Square().Plus(sigmaData * sigmaData)) / sigma.Times(sigmaData).Square();
}
