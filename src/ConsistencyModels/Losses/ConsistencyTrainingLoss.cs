using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Consistency training without a teacher (Song et al. 2023, Eq. 10; iCT: Song &amp; Dhariwal 2023):
/// the pair is x₀ + σ_n·z and x₀ + σ_{n+1}·z with the same z, an unbiased one-sample estimate of the
/// ODE step. CT uses an EMA target and λ = 1; iCT uses θ⁻ = stopgrad(θ), pseudo-Huber and
/// λ = 1/(σ_n − σ_{n+1}) (inverse-step) with n drawn from a discretized lognormal. Every weighting applies.
/// </summary>
public sealed class ConsistencyTrainingLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="metric">The distance d.</param>
    /// <param name="weighting">λ: iCT's inverse-step 1/(σ_n − σ_{n+1}), CT's uniform, or any σ weighting.</param>
    /// <param name="sigmaData">σ_data of the karras weighting.</param>
    public ConsistencyTrainingLoss(DistanceMetricKind metric, LossWeightingKind weighting,
        double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData)
    {
        Distance = new WeightedDistance(metric, weighting, sigmaData);
    }

    /// <summary>The distance, weighting and σ_data: λ(σ)·d.</summary>
    public WeightedDistance Distance { get; }

    /// <summary>
    /// The scalar loss on a decreasing grid <paramref name="sigmas"/> (the current N(k)) for indices n [B]
    /// in 0..N−2 and unit noise z.
    /// </summary>
    public Tensor Compute(ConditionedModel student, ConditionedModel target, Tensor x0, Tensor? labels,
        IReadOnlyList<double> sigmas, Tensor indices, Tensor z)
    {
        GridLoss.ValidateGrid(sigmas, nameof(sigmas));
        using var scope = NewDisposeScope();
        var (sigma, sigmaNext, x) = LossTensors.AdjacentLevels(sigmas, indices, x0, z);
        Tensor targetOut;
        using (no_grad())
        {
            var xNext = x0.Plus(LossTensors.Broadcastable(sigmaNext, x0) * z);
            targetOut = target(xNext, sigmaNext, labels).detach();
        }
        return Distance.Mean(student(x, sigma, labels), targetOut, sigma, sigmaNext).MoveToOuterDisposeScope();
    }
}
