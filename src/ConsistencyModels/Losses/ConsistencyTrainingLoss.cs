using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Consistency training without a teacher (Song et al. 2023, Eq. 10; iCT: Song &amp; Dhariwal 2023):
/// the pair is x₀ + σ_n·z and x₀ + σ_{n+1}·z with the same z, an unbiased one-sample estimate of the
/// ODE step. CT uses an EMA target and λ = 1; iCT uses θ⁻ = stopgrad(θ), pseudo-Huber and
/// λ = 1/(σ_n − σ_{n+1}) with n drawn from a discretized lognormal.
/// </summary>
public sealed class ConsistencyTrainingLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="metric">The distance d.</param>
    /// <param name="inverseGapWeighting">iCT's λ = 1/(σ_n − σ_{n+1}); otherwise λ = 1.</param>
    public ConsistencyTrainingLoss(DistanceMetricKind metric, bool inverseGapWeighting)
    {
        Metric = metric;
        InverseGapWeighting = inverseGapWeighting;
    }

    /// <summary>The distance d.</summary>
    public DistanceMetricKind Metric { get; }

    /// <summary>Whether λ = 1/(σ_n − σ_{n+1}) (iCT).</summary>
    public bool InverseGapWeighting { get; }

    /// <summary>
    /// The scalar loss on a decreasing grid <paramref name="sigmas"/> (the current N(k)) for indices n [B]
    /// in 0..N−2 and unit noise z.
    /// </summary>
    public Tensor Compute(ConditionedModel student, ConditionedModel target, Tensor x0, Tensor? labels,
        IReadOnlyList<double> sigmas, Tensor indices, Tensor z)
    {
        ConsistencyDistillationLoss.ValidateGrid(sigmas, nameof(sigmas));
        using var scope = NewDisposeScope();
        var sigma = LossTensors.Gather(sigmas, indices, x0);
        var sigmaNext = LossTensors.Gather(sigmas, indices.Plus(1), x0);
        var x = x0.Plus(LossTensors.Broadcastable(sigma, x0) * z);
        Tensor targetOut;
        using (no_grad())
        {
            var xNext = x0.Plus(LossTensors.Broadcastable(sigmaNext, x0) * z);
            targetOut = target(xNext, sigmaNext, labels).detach();
        }
        var output = student(x, sigma, labels);
        var distance = DistanceMetric.PerSample(Metric, output, targetOut);
        var weighted = InverseGapWeighting ? distance / (sigma - sigmaNext) : distance;
        return weighted.mean().MoveToOuterDisposeScope();
    }
}
