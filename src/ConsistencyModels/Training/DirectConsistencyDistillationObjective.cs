using ConsistencyModels.Losses;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Direct consistency distillation (seed 003): each step solves the teacher's ODE from x_{σ_n} down to ε along
/// the grid and regresses f_θ(x_{σ_n}, σ_n) onto that solution. About (N−1)/2 teacher steps per iteration, so
/// an iteration costs several times a CD iteration; the results table reports both iterations and wall time.
/// </summary>
/// <param name="student">The consistency function being trained (initialized from the teacher).</param>
/// <param name="ema">Its sampling EMA (overwritten with the student's weights).</param>
/// <param name="teacherStep">One ODE step of the frozen teacher.</param>
/// <param name="loss">The loss (its grid ends at ε).</param>
/// <param name="emaRate">Decay of the sampling EMA.</param>
public sealed class DirectConsistencyDistillationObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student,
    nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, OdeStep teacherStep, DirectConsistencyDistillationLoss loss, double emaRate)
    : StudentObjective(TrainingMethod.DirectCd, student, ema, emaRate)
{
    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        int n = loss.Sigmas.Count;
        var indices = randint(0, n - 1, new long[] { x0.shape[0] }, dtype: ScalarType.Int64, generator: generator);
        var z = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        var sigma = LossTensors.Gather(loss.Sigmas, indices, x0);
        var x = x0.Plus(LossTensors.Broadcastable(sigma, x0) * z);
        var target = loss.SolveToEpsilon(teacherStep, x, indices, labels);
        return loss.Compute(TeacherSteps.Conditioned(Student), x, sigma, target, labels).MoveToOuterDisposeScope();
    }
}
