using ConsistencyModels.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Consistency distillation (Song et al. 2023, Alg. 2): the student f_θ is trained with
/// <see cref="ConsistencyDistillationLoss"/> against the target θ⁻ ← μ·θ⁻ + (1−μ)·θ, using a frozen
/// teacher's ODE step; a separate sampling EMA is the result.
/// </summary>
public sealed class ConsistencyDistillationObjective : ITrainingObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> _student, _target, _ema;
    private readonly ConsistencyDistillationLoss _loss;
    private readonly OdeStep _teacherStep;
    private readonly double _targetRate, _emaRate;

    /// <summary>Creates the objective. <paramref name="target"/> and <paramref name="ema"/> are overwritten with the student's weights.</summary>
    public ConsistencyDistillationObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor> target,
        nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, OdeStep teacherStep, ConsistencyDistillationLoss loss, double targetRate, double emaRate)
    {
        Guard.InRange(targetRate, 0, 1, nameof(targetRate));
        Guard.InRange(emaRate, 0, 1, nameof(emaRate));
        _student = student;
        _target = target;
        _ema = ema;
        _teacherStep = teacherStep;
        _loss = loss;
        _targetRate = targetRate;
        _emaRate = emaRate;
        Ema.InitializeFrozenCopy(_target, _student);
        Ema.InitializeFrozenCopy(_ema, _student);
    }

    /// <inheritdoc />
    public string Method => "cd";

    /// <inheritdoc />
    public nn.Module Trainable => _student;

    /// <inheritdoc />
    public nn.Module ResultModel => _ema;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> CheckpointModules =>
        new Dictionary<string, nn.Module> { ["student"] = _student, ["target"] = _target, ["ema"] = _ema };

    /// <inheritdoc />
    public Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator) =>
        _loss.Compute(TeacherSteps.Conditioned(_student), TeacherSteps.Conditioned(_target), _teacherStep, x0, labels, generator);

    /// <inheritdoc />
    public void AfterOptimizerStep(long step)
    {
        Ema.Update(_target, _student, _targetRate);
        Ema.Update(_ema, _student, Ema.WarmupRate(_emaRate, step));
    }

    /// <inheritdoc />
    public void OnResumed(long step) { }

    /// <inheritdoc />
    public void Dispose() { }
}
