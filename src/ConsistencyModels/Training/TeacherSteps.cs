using ConsistencyModels.Losses;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>Adapters from preconditioned modules to the delegates the losses and solvers take.</summary>
public static class TeacherSteps
{
    /// <summary>The module as a <see cref="ConditionedModel"/>.</summary>
    public static ConditionedModel Conditioned(nn.Module<Tensor, Tensor, Tensor?, Tensor> module) =>
        (x, sigma, labels) => module.call(x, sigma, labels);

    /// <summary>One ODE step of the teacher denoiser with the named solver (heun or euler), per-sample σ.</summary>
    public static OdeStep Step(ConditionedModel teacher, string solver) => solver.ToLowerInvariant() switch
    {
        "heun" => (x, s, sn, labels) => HeunSolver.Step(Batch(teacher, labels), x, s, sn),
        "euler" or "ddim" => (x, s, sn, labels) => EulerSolver.Step(Batch(teacher, labels), x, s, sn),
        _ => throw new ArgumentException($"unknown teacher solver '{solver}': expected heun or euler."),
    };

    /// <summary>The teacher with fixed labels as a <see cref="BatchDenoiser"/>.</summary>
    public static BatchDenoiser Batch(ConditionedModel model, Tensor? labels) => (x, sigma) => model(x, sigma, labels);
}
