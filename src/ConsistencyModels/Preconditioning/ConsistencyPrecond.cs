using ConsistencyModels.Networks;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// The consistency function f(x, σ) = c_skip·x + c_out·F(c_in·x; c_noise) with c_skip = σd²/((σ−ε)²+σd²) and
/// c_out = σd·(σ−ε)/√(σ²+σd²) (Song et al. 2023, Appendix C), so f(x, ε) = x exactly for any weights.
/// σ must be ≥ ε (not checked per element, to avoid a device sync).
/// </summary>
public sealed class ConsistencyPrecond : PreconditionedNetwork
{
    /// <summary>Wraps <paramref name="net"/>; ε defaults to σ_min = 0.002, σ_data to 0.5.</summary>
    public ConsistencyPrecond(UNet net, double epsilon = 0.002, double sigmaData = EdmCoefficients.DefaultSigmaData)
        : base(nameof(ConsistencyPrecond), net, sigmaData)
    {
        Guard.Positive(epsilon);
        Epsilon = epsilon;
    }

    /// <summary>ε, the smallest noise level, where f is the identity.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    protected override Tensor CSkip(Tensor sigma) => ConsistencyCoefficients.CSkip(sigma, Epsilon, SigmaData);

    /// <inheritdoc/>
    protected override Tensor COut(Tensor sigma) => ConsistencyCoefficients.COut(sigma, Epsilon, SigmaData);
}
