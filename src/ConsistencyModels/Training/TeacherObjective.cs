using ConsistencyModels.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>Trains an EDM denoiser (the teacher) with <see cref="EdmLoss"/>, keeping a sampling EMA.</summary>
public sealed class TeacherObjective : ITrainingObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> _net;
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> _ema;
    private readonly EdmLoss _loss;
    private readonly double _emaRate;

    /// <summary>Creates the objective; <paramref name="ema"/> must have <paramref name="net"/>'s architecture (it is overwritten).</summary>
    public TeacherObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> net, nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, EdmLoss loss, double emaRate = 0.999)
    {
        _net = net;
        _ema = ema;
        _loss = loss;
        _emaRate = emaRate;
        Ema.InitializeFrozenCopy(_ema, _net);
    }

    /// <inheritdoc />
    public string Method => "teacher";

    /// <inheritdoc />
    public nn.Module Trainable => _net;

    /// <inheritdoc />
    public nn.Module ResultModel => _ema;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> CheckpointModules => new Dictionary<string, nn.Module> { ["net"] = _net, ["ema"] = _ema };

    /// <inheritdoc />
    public Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator) =>
        _loss.Compute(TeacherSteps.Conditioned(_net), x0, labels, generator);

    /// <inheritdoc />
    public void AfterOptimizerStep(long step) => Ema.Update(_ema, _net, Ema.WarmupRate(_emaRate, step));

    /// <inheritdoc />
    public void OnResumed(long step) { }

    /// <inheritdoc />
    public void Dispose() { }
}
