using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Direct consistency distillation (seed 003): regress f_θ(x_{σ_n}, σ_n) straight onto the teacher's
/// full ODE solution from x_{σ_n} down to ε, instead of onto the model's own value one step later.
/// The published finding this reproduces: smaller ODE error than CD, worse samples.
/// </summary>
/// <param name="sigmas">The decreasing grid, ending at ε.</param>
/// <param name="metric">The distance d.</param>
/// <param name="weighting">λ(σ_n) (no next level here: not inverse-step).</param>
/// <param name="sigmaData">σ_data of the karras weighting.</param>
public sealed class DirectConsistencyDistillationLoss(IReadOnlyList<double> sigmas, DistanceMetricKind metric, LossWeightingKind weighting,
    double sigmaData = Preconditioning.EdmCoefficients.DefaultSigmaData)
    : GridLoss(sigmas, new WeightedDistance(metric, weighting, sigmaData).RequireStep(false, "direct consistency distillation"))
{
    /// <summary>
    /// Solves the teacher's ODE from x at grid index n (per sample, [B]) down to ε = σ_{N−1}, stepping along
    /// the grid with <paramref name="teacherStep"/>. Each step evaluates the teacher only on the samples not yet
    /// at ε, so a batch costs the sum of its samples' remaining steps rather than B × the longest.
    /// </summary>
    public Tensor SolveToEpsilon(OdeStep teacherStep, Tensor x, Tensor indices, Tensor? labels)
    {
        var cursor = indices.data<long>().ToArray();
        int last = Grid.Length - 1;
        using var outer = NewDisposeScope();
        var current = x.detach().clone();
        using (no_grad())
        {
            while (true)
            {
                var active = Enumerable.Range(0, cursor.Length).Where(b => cursor[b] < last).ToArray();
                if (active.Length == 0) break;
                using var scope = NewDisposeScope();
                var rows = tensor(active.Select(b => (long)b).ToArray(), device: x.device);
                var s = tensor(active.Select(b => Grid[cursor[b]]).ToArray(), dtype: x.dtype, device: x.device);
                var sn = tensor(active.Select(b => Grid[cursor[b] + 1]).ToArray(), dtype: x.dtype, device: x.device);
                var next = teacherStep(current.index_select(0, rows), s, sn, labels?.index_select(0, rows));
                current = current.index_copy(0, rows, next).MoveToOuterDisposeScope();
                foreach (int b in active) cursor[b]++;
            }
        }
        return current.MoveToOuterDisposeScope();
    }

    /// <summary>The scalar loss: λ(σ)·d(f_θ(x, σ), target) for inputs x at σ [B] whose ODE solutions are <paramref name="target"/>.</summary>
    public Tensor Compute(ConditionedModel student, Tensor x, Tensor sigma, Tensor target, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        return Distance.Mean(student(x, sigma, labels), target.detach(), sigma).MoveToOuterDisposeScope();
    }
}
