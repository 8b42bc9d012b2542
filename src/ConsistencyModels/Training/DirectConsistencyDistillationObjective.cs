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
public sealed class DirectConsistencyDistillationObjective : StudentObjective
{
    private readonly OdeStep _teacherStep;
    private readonly DirectConsistencyDistillationLoss _loss;

    /// <summary>Creates the objective (<paramref name="ema"/> is overwritten with the student's weights).</summary>
    public DirectConsistencyDistillationObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor> ema,
        OdeStep teacherStep, DirectConsistencyDistillationLoss loss, double emaRate)
        : base(TrainingMethod.DirectCd, student, ema, emaRate)
    {
        _teacherStep = teacherStep;
        _loss = loss;
    }

    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        int n = _loss.Sigmas.Count;
        var indices = randint(0, n - 1, new long[] { x0.shape[0] }, dtype: ScalarType.Int64, generator: generator);
        var z = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        var sigma = LossTensors.Gather(_loss.Sigmas, indices, x0);
        var x = x0.Plus(LossTensors.Broadcastable(sigma, x0) * z);
        var target = _loss.SolveToEpsilon(_teacherStep, x, indices, labels);
        return _loss.Compute(TeacherSteps.Conditioned(Student), x, sigma, target, labels).MoveToOuterDisposeScope();
    }

}
