using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// What a training method contributes to the generic <see cref="Trainer"/>: the parameters to optimize, the
/// loss for a batch, the per-step updates of extra networks (EMA, target), and every tensor a checkpoint must
/// hold. Trainers know nothing of layers; objectives know nothing of optimizers, checkpoints or logs.
/// </summary>
public interface ITrainingObjective : IDisposable
{
    /// <summary>The method name (teacher, cd, ct, ict, direct-cd, progressive, rectified).</summary>
    string Method { get; }

    /// <summary>The module whose parameters the optimizer updates.</summary>
    nn.Module Trainable { get; }

    /// <summary>The module to sample from and to save as the result (usually an EMA of <see cref="Trainable"/>).</summary>
    nn.Module ResultModel { get; }

    /// <summary>The loss for one batch (x₀ in [-1,1], [B,3,H,W]; labels [B] or null). Randomness only from <paramref name="generator"/>.</summary>
    Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator);

    /// <summary>Called after every optimizer step (EMA/target updates, schedule changes).</summary>
    void AfterOptimizerStep(long step);

    /// <summary>Every network whose state a checkpoint must hold, by prefix (e.g. "student", "target", "ema").</summary>
    IReadOnlyDictionary<string, nn.Module> CheckpointModules { get; }

    /// <summary>Called once after a checkpoint was restored, with the step it resumes at.</summary>
    void OnResumed(long step);
}
