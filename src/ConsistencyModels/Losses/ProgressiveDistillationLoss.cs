using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// Progressive distillation (Salimans &amp; Ho 2022, Alg. 2, in EDM form; seed 004): the student makes one
/// Euler step t → s where the teacher made two (t → u → s). Its target is the denoiser value that makes one
/// Euler step land where the two half-steps landed: x̃ = x_t − t·(x_s − x_t)/(s − t) (= x_s when s = 0).
/// Loss λ(t)·d(D_student(x_t; t), x̃), by default l2 with Salimans &amp; Ho's truncated-SNR weighting max(σ⁻², 1).
/// </summary>
public sealed class ProgressiveDistillationLoss
{
    /// <summary>Creates the loss.</summary>
    public ProgressiveDistillationLoss(DistanceMetricKind metric = DistanceMetricKind.L2, LossWeightingKind weighting = LossWeightingKind.TruncatedSnr,
        double sigmaData = EdmCoefficients.DefaultSigmaData)
    {
        Distance = new WeightedDistance(metric, weighting, sigmaData).RequireStep(false, "progressive distillation");
    }

    /// <summary>The distance, weighting and σ_data: λ(σ)·d.</summary>
    public WeightedDistance Distance { get; }

    /// <summary>
    /// The denoiser target x̃ for a student step t → s given the teacher's two-step result x_s (per-sample t, s [B]).
    /// </summary>
    public static Tensor Target(Tensor xt, Tensor xs, Tensor t, Tensor s)
    {
        var tb = LossTensors.Broadcastable(t, xt);
        var sb = LossTensors.Broadcastable(s, xt);
        // At s = 0 this reads x_t + (x_s − x_t) = x_s: one Euler step to 0 returns D itself.
        return xt - tb * (xs - xt) / (sb - tb);
    }

    /// <summary>
    /// The scalar loss on the teacher grid <paramref name="teacherSigmas"/> (decreasing, ending with 0, 2K steps):
    /// the student's grid is every other value. Student step index i [B] in 0..K−1 goes from teacherSigmas[2i]
    /// through teacherSigmas[2i+1] to teacherSigmas[2i+2].
    /// </summary>
    public Tensor Compute(ConditionedModel student, OdeStep teacherStep, Tensor x0, Tensor? labels,
        IReadOnlyList<double> teacherSigmas, Tensor studentIndices, Tensor z)
    {
        if (teacherSigmas.Count < 3 || (teacherSigmas.Count - 1) % 2 != 0 || teacherSigmas[^1] != 0)
            throw new ArgumentException($"teacherSigmas must hold an even number of steps ending at 0, got {teacherSigmas.Count} values.", nameof(teacherSigmas));
        using var scope = NewDisposeScope();
        var i2 = studentIndices.Times(2);
        var t = LossTensors.Gather(teacherSigmas, i2, x0);
        var u = LossTensors.Gather(teacherSigmas, i2.Plus(1), x0);
        var s = LossTensors.Gather(teacherSigmas, i2.Plus(2), x0);
        var xt = x0.Plus(LossTensors.Broadcastable(t, x0) * z);
        Tensor target;
        using (no_grad())
        {
            var xu = teacherStep(xt, t, u, labels);
            var xs = teacherStep(xu, u, s, labels);
            target = Target(xt, xs, t, s).detach();
        }
        return Distance.Mean(student(xt, t, labels), target, t).MoveToOuterDisposeScope();
    }
}
