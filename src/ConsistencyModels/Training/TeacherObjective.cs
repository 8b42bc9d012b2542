using ConsistencyModels.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>Trains an EDM denoiser (the teacher) with <see cref="EdmLoss"/>, keeping a sampling EMA.</summary>
/// <param name="net">The trained EDM denoiser (checkpoint prefix "net").</param>
/// <param name="ema">Its sampling EMA, the saved model (same architecture; overwritten).</param>
/// <param name="loss">EDM's loss.</param>
/// <param name="emaRate">Decay of the EMA.</param>
public sealed class TeacherObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> net, nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, EdmLoss loss,
    double emaRate = 0.999) : StudentObjective(TrainingMethod.Teacher, net, ema, emaRate, studentName: "net")
{
    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator) =>
        loss.Compute(TeacherSteps.Conditioned(Student), x0, labels, generator);
}
