using ConsistencyModels.Networks;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// The EDM denoiser D(x; σ) = c_skip·x + c_out·F(c_in·x; c_noise) with c_skip = σd²/(σ²+σd²) and
/// c_out = σ·σd/√(σ²+σd²) (Karras et al. 2022, Table 1; github:NVlabs/edm EDMPrecond). Used for teachers.
/// </summary>
public sealed class EdmPrecond : PreconditionedNetwork
{
    /// <summary>Wraps <paramref name="net"/>; σ_data defaults to 0.5.</summary>
    public EdmPrecond(UNet net, double sigmaData = EdmCoefficients.DefaultSigmaData)
        : base(nameof(EdmPrecond), net, sigmaData) { }

    /// <inheritdoc/>
    protected override Tensor CSkip(Tensor sigma) => EdmCoefficients.CSkip(sigma, SigmaData);

    /// <inheritdoc/>
    protected override Tensor COut(Tensor sigma) => EdmCoefficients.COut(sigma, SigmaData);
}
