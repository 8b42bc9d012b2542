using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// The EDM training loss (Karras et al. 2022, Eq. 2 and Table 1): ln σ ~ N(P_mean, P_std²),
/// L = λ(σ)·‖D(x₀ + σn; σ) − x₀‖², λ(σ) = (σ² + σd²)/(σ·σd)². With EDM preconditioning this makes the
/// raw network's effective target unit-variance at every σ.
/// </summary>
public sealed class EdmLoss
{
    /// <summary>Creates the loss with EDM's defaults.</summary>
    public EdmLoss(double pMean = -1.2, double pStd = 1.2, double sigmaData = EdmCoefficients.DefaultSigmaData)
    {
        Guard.Positive(pStd, nameof(pStd));
        Guard.Positive(sigmaData, nameof(sigmaData));
        PMean = pMean;
        PStd = pStd;
        SigmaData = sigmaData;
    }

    /// <summary>Mean of ln σ.</summary>
    public double PMean { get; }

    /// <summary>Standard deviation of ln σ.</summary>
    public double PStd { get; }

    /// <summary>σ_data.</summary>
    public double SigmaData { get; }

    /// <summary>Draws σ for a batch: exp(P_mean + P_std·N(0,1)), shape [B].</summary>
    public Tensor SampleSigma(long batch, Tensor like, Generator? generator) =>
        randn(new long[] { batch }, dtype: like.dtype, device: like.device, generator: generator).Times(PStd).Plus(PMean).exp();

    /// <summary>The scalar loss for a batch of clean images x₀ (mean over the batch).</summary>
    public Tensor Compute(ConditionedModel denoiser, Tensor x0, Tensor? labels, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var sigma = SampleSigma(x0.shape[0], x0, generator);
        var noise = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        return Compute(denoiser, x0, labels, sigma, noise).MoveToOuterDisposeScope();
    }

    /// <summary>The loss for given σ [B] and unit noise n (same shape as x₀): used by rectified diffusion with paired noise.</summary>
    public Tensor Compute(ConditionedModel denoiser, Tensor x0, Tensor? labels, Tensor sigma, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var s = LossTensors.Broadcastable(sigma, x0);
        var d = denoiser(x0.Plus(s * noise), sigma, labels);
        var weight = EdmCoefficients.LossWeight(sigma, SigmaData);
        var perSample = (d - x0).Square().reshape(x0.shape[0], -1).mean(new long[] { 1 });
        return (weight * perSample).mean().MoveToOuterDisposeScope();
    }
}
