using ConsistencyModels.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Consistency distillation (Song et al. 2023, Alg. 2): the student f_θ is trained with
/// <see cref="ConsistencyDistillationLoss"/> against the target θ⁻ ← μ·θ⁻ + (1−μ)·θ, using a frozen
/// teacher's ODE step; a separate sampling EMA is the result.
/// </summary>
public sealed class ConsistencyDistillationObjective : StudentObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> _target;
    private readonly ConsistencyDistillationLoss _loss;
    private readonly OdeStep _teacherStep;
    private readonly double _targetRate;

    /// <summary>Creates the objective. <paramref name="target"/> and <paramref name="ema"/> are overwritten with the student's weights.</summary>
    public ConsistencyDistillationObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor> target,
        nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, OdeStep teacherStep, ConsistencyDistillationLoss loss, double targetRate, double emaRate)
        : base(TrainingMethod.Cd, student, ema, emaRate)
    {
        Guard.InRange(targetRate, 0, 1, nameof(targetRate));
        _target = Frozen("target", target);
        _teacherStep = teacherStep;
        _loss = loss;
        _targetRate = targetRate;
    }

    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator) =>
        _loss.Compute(TeacherSteps.Conditioned(Student), TeacherSteps.Conditioned(_target), _teacherStep, x0, labels, generator);

    /// <inheritdoc />
    protected override void UpdateCopies(long step) => Ema.Update(_target, Student, _targetRate);
}
