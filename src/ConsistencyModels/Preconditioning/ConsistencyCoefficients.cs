using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// The consistency-model parameterization (Song et al. 2023, Appendix C):
/// f(x,σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; c_noise(σ)) with
/// c_skip = σd² / ((σ−ε)² + σd²) and c_out = σd·(σ−ε) / √(σ² + σd²), so c_skip(ε) = 1 and
/// c_out(ε) = 0: the boundary condition f(x, ε) = x holds exactly, for any network F.
/// c_in and c_noise are those of EDM.
/// </summary>
public static class ConsistencyCoefficients
{
    /// <summary>c_skip = σd² / ((σ−ε)² + σd²).</summary>
    public static double CSkip(double sigma, double epsilon, double sigmaData = EdmCoefficients.DefaultSigmaData)
    {
        Guard.AtLeast(sigma, epsilon, nameof(sigma));
        double d = sigma - epsilon;
        return sigmaData * sigmaData / (d * d + sigmaData * sigmaData);
    }

    /// <summary>c_out = σd·(σ−ε) / √(σ² + σd²).</summary>
    public static double COut(double sigma, double epsilon, double sigmaData = EdmCoefficients.DefaultSigmaData)
    {
        Guard.AtLeast(sigma, epsilon, nameof(sigma));
        return sigmaData * (sigma - epsilon) / Math.Sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    /// <summary>c_skip for a tensor of per-sample σ.</summary>
    public static Tensor CSkip(Tensor sigma, double epsilon, double sigmaData = EdmCoefficients.DefaultSigmaData) =>
        sigma.Minus(epsilon).Square().Plus(sigmaData * sigmaData).DividedInto(sigmaData * sigmaData);

    /// <summary>c_out for a tensor of per-sample σ.</summary>
    public static Tensor COut(Tensor sigma, double epsilon, double sigmaData = EdmCoefficients.DefaultSigmaData) =>
        sigma.Minus(epsilon).Times(sigmaData) / sigma.Square().Plus(sigmaData * sigmaData).sqrt();
}
