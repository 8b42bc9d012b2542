using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Consistency distillation (Song et al. 2023, Eq. 7): draw n uniformly on a decreasing noise grid,
/// x = x₀ + σ_n·z, take one teacher ODE step σ_n → σ_{n+1} (σ_{n+1} &lt; σ_n) to x̂, and pull
/// f_θ(x, σ_n) toward the stop-gradient target f_θ⁻(x̂, σ_{n+1}), weighted by λ(σ_n) (or 1/(σ_n − σ_{n+1}), inverse-step).
/// </summary>
/// <param name="sigmas">The decreasing grid σ_0 &gt; … &gt; σ_{N−1} = ε (no trailing zero).</param>
/// <param name="metric">The distance d.</param>
/// <param name="weighting">λ(σ_n), or inverse-step 1/(σ_n − σ_{n+1}).</param>
/// <param name="sigmaData">σ_data of the karras weighting.</param>
public sealed class ConsistencyDistillationLoss(IReadOnlyList<double> sigmas, DistanceMetricKind metric, LossWeightingKind weighting,
    double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData) : GridLoss(sigmas, new WeightedDistance(metric, weighting, sigmaData))
{
    /// <summary>Draws n ∈ {0, …, N−2} uniformly, shape [B].</summary>
    public Tensor SampleIndices(long batch, Generator? generator) =>
        randint(0, Grid.Length - 1, new long[] { batch }, dtype: ScalarType.Int64, generator: generator);

    /// <summary>The scalar loss for a batch, drawing indices and noise from <paramref name="generator"/>.</summary>
    public Tensor Compute(ConditionedModel student, ConditionedModel target, OdeStep teacherStep, Tensor x0, Tensor? labels, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var idx = SampleIndices(x0.shape[0], generator);
        var z = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        return Compute(student, target, teacherStep, x0, labels, idx, z).MoveToOuterDisposeScope();
    }

    /// <summary>The scalar loss for given grid indices n [B] and unit noise z.</summary>
    public Tensor Compute(ConditionedModel student, ConditionedModel target, OdeStep teacherStep, Tensor x0, Tensor? labels, Tensor indices, Tensor z)
    {
        using var scope = NewDisposeScope();
        var (sigma, sigmaNext, x) = LossTensors.AdjacentLevels(Grid, indices, x0, z);
        Tensor targetOut;
        using (no_grad())
        {
            var xNext = teacherStep(x, sigma, sigmaNext, labels);
            targetOut = target(xNext, sigmaNext, labels).detach();
        }
        return Distance.Mean(student(x, sigma, labels), targetOut, sigma, sigmaNext).MoveToOuterDisposeScope();
    }
}
