using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// The shell every distillation loss shares: mean over the batch of λ(σ)·d(output, target), with the distance d,
/// the weighting λ and the σ_data of the karras weighting. A loss that compares two adjacent grid levels passes
/// σ_{n+1} too, so the inverse-step weighting 1/(σ_n − σ_{n+1}) is honoured there and refused elsewhere.
/// </summary>
/// <param name="Metric">The distance d.</param>
/// <param name="Weighting">The weighting λ.</param>
/// <param name="SigmaData">σ_data of the karras weighting.</param>
public sealed record WeightedDistance(DistanceMetricKind Metric, LossWeightingKind Weighting,
    double SigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData)
{
    /// <summary>Throws unless the weighting can be computed by a loss with (<paramref name="hasStep"/>) or without a next level.</summary>
    public WeightedDistance RequireStep(bool hasStep, string loss)
    {
        if (!hasStep && LossWeighting.NeedsStep(Weighting))
            throw new ArgumentException($"{loss} has no next grid level: the {Naming.EnumNames.Of(Weighting)} weighting does not apply to it.");
        return this;
    }

    /// <summary>The scalar loss mean(λ(σ)·d(output, target)) for per-sample σ [B] (and σ_{n+1} [B] where the loss has one).</summary>
    public Tensor Mean(Tensor output, Tensor target, Tensor sigma, Tensor? sigmaNext = null)
    {
        using var scope = NewDisposeScope();
        var distance = DistanceMetric.PerSample(Metric, output, target);
        var weight = LossWeighting.Compute(Weighting, sigma, SigmaData, sigmaNext);
        return (weight * distance).mean().MoveToOuterDisposeScope();
    }
}
