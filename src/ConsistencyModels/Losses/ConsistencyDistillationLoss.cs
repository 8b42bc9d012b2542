using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Consistency distillation (Song et al. 2023, Eq. 7): draw n uniformly on a decreasing noise grid,
/// x = x₀ + σ_n·z, take one teacher ODE step σ_n → σ_{n+1} (σ_{n+1} &lt; σ_n) to x̂, and pull
/// f_θ(x, σ_n) toward the stop-gradient target f_θ⁻(x̂, σ_{n+1}), weighted by λ(σ_n) (or 1/(σ_n − σ_{n+1}), inverse-step).
/// </summary>
public sealed class ConsistencyDistillationLoss
{
    private readonly double[] _sigmas;

    /// <summary>Creates the loss on a decreasing grid σ_0 &gt; … &gt; σ_{N−1} = ε (no trailing zero).</summary>
    public ConsistencyDistillationLoss(IReadOnlyList<double> sigmas, DistanceMetricKind metric, LossWeightingKind weighting,
        double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData)
    {
        ValidateGrid(sigmas, nameof(sigmas));
        _sigmas = sigmas.ToArray();
        Distance = new WeightedDistance(metric, weighting, sigmaData);
    }

    /// <summary>The distance, weighting and σ_data: λ(σ)·d.</summary>
    public WeightedDistance Distance { get; }

    /// <summary>The noise grid (decreasing).</summary>
    public IReadOnlyList<double> Sigmas => _sigmas;

    /// <summary>Draws n ∈ {0, …, N−2} uniformly, shape [B].</summary>
    public Tensor SampleIndices(long batch, Generator? generator) =>
        randint(0, _sigmas.Length - 1, new long[] { batch }, dtype: ScalarType.Int64, generator: generator);

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
        var sigma = LossTensors.Gather(_sigmas, indices, x0);
        var sigmaNext = LossTensors.Gather(_sigmas, indices.Plus(1), x0);
        var x = x0.Plus(LossTensors.Broadcastable(sigma, x0) * z);
        Tensor targetOut;
        using (no_grad())
        {
            var xNext = teacherStep(x, sigma, sigmaNext, labels);
            targetOut = target(xNext, sigmaNext, labels).detach();
        }
        return Distance.Mean(student(x, sigma, labels), targetOut, sigma, sigmaNext).MoveToOuterDisposeScope();
    }

    internal static void ValidateGrid(IReadOnlyList<double> sigmas, string name)
    {
        if (sigmas is null || sigmas.Count < 2)
            throw new ArgumentException($"{name} must hold at least 2 noise levels, got {sigmas?.Count ?? 0}.", name);
        for (int i = 0; i < sigmas.Count; i++)
        {
            if (!(sigmas[i] > 0)) throw new ArgumentException($"{name}[{i}] must be > 0, got {sigmas[i]}.", name);
            if (i > 0 && !(sigmas[i] < sigmas[i - 1]))
                throw new ArgumentException($"{name} must be strictly decreasing, but {name}[{i}] = {sigmas[i]} >= {sigmas[i - 1]}.", name);
        }
    }
}
