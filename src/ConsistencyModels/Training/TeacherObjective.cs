using ConsistencyModels.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>Trains an EDM denoiser (the teacher) with <see cref="EdmLoss"/>, keeping a sampling EMA.</summary>
public sealed class TeacherObjective : StudentObjective
{
    private readonly EdmLoss _loss;

    /// <summary>Creates the objective; <paramref name="ema"/> must have <paramref name="net"/>'s architecture (it is overwritten).</summary>
    public TeacherObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> net, nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, EdmLoss loss, double emaRate = 0.999)
        : base(TrainingMethod.Teacher, net, ema, emaRate, studentName: "net")
    {
        _loss = loss;
    }

    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator) =>
        _loss.Compute(TeacherSteps.Conditioned(Student), x0, labels, generator);
}
