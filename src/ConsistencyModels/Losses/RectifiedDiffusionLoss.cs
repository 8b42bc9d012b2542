using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Rectified diffusion (seed 002; Wang et al. 2024): retrain a diffusion model on fixed noise–sample pairs
/// (ε, x₀ = Φ_teacher(σmax·ε)) made by the teacher's ODE solver, x_t = α_t·x₀ + σ_t·ε with the paired ε
/// instead of fresh noise. In EDM form x_t/α_t = x₀ + σ·ε for every diffusion form, so the form only sets
/// how σ is drawn: σ = σ_t(t)/α_t(t) with t ~ U(0, 1) through <see cref="SigmaOfTime"/>.
/// Loss: λ(σ)·d(D(x₀ + σε; σ), x₀); l2 with the karras weighting σ⁻² + σd⁻² is EDM's loss.
/// </summary>
public sealed class RectifiedDiffusionLoss
{
    /// <summary>Creates the loss; <paramref name="sigmaOfTime"/> maps uniform t in (0,1) to the EDM σ of the chosen form.</summary>
    public RectifiedDiffusionLoss(Func<double, double> sigmaOfTime, double sigmaMin, double sigmaMax,
        DistanceMetricKind metric = DistanceMetricKind.L2, LossWeightingKind weighting = LossWeightingKind.Karras,
        double sigmaData = EdmCoefficients.DefaultSigmaData)
    {
        ArgumentNullException.ThrowIfNull(sigmaOfTime);
        Guard.Positive(sigmaMin, nameof(sigmaMin));
        Guard.AtLeast(sigmaMax, sigmaMin, nameof(sigmaMax));
        SigmaOfTime = sigmaOfTime;
        SigmaMin = sigmaMin;
        SigmaMax = sigmaMax;
        Distance = new WeightedDistance(metric, weighting, sigmaData).RequireStep(false, "rectified diffusion");
    }

    /// <summary>The distance, weighting and σ_data: λ(σ)·d.</summary>
    public WeightedDistance Distance { get; }

    /// <summary>t ↦ σ for the chosen diffusion form.</summary>
    public Func<double, double> SigmaOfTime { get; }

    /// <summary>Lower clamp of σ.</summary>
    public double SigmaMin { get; }

    /// <summary>Upper clamp of σ.</summary>
    public double SigmaMax { get; }

    /// <summary>Draws σ [B]: t ~ U(0,1), σ = clamp(σ(t), σmin, σmax).</summary>
    public Tensor SampleSigma(long batch, Tensor like, Generator? generator)
    {
        using var u = rand(new long[] { batch }, dtype: ScalarType.Float64, generator: generator);
        var t = u.data<double>().ToArray();
        var sig = new double[t.Length];
        for (int i = 0; i < t.Length; i++) sig[i] = Math.Clamp(SigmaOfTime(Math.Clamp(t[i], 1e-6, 1 - 1e-6)), SigmaMin, SigmaMax);
        return tensor(sig, dtype: like.dtype, device: like.device);
    }

    /// <summary>The scalar loss for paired (x₀, ε).</summary>
    public Tensor Compute(ConditionedModel denoiser, Tensor x0, Tensor pairedNoise, Tensor? labels, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var sigma = SampleSigma(x0.shape[0], x0, generator);
        var d = denoiser(x0.Plus(LossTensors.Broadcastable(sigma, x0) * pairedNoise), sigma, labels);
        return Distance.Mean(d, x0, sigma).MoveToOuterDisposeScope();
    }
}
