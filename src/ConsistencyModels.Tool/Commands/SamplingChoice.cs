using ConsistencyModels.IO;
using ConsistencyModels.Sampling;
using ConsistencyModels.Training;
using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// The sampler and step count a command uses for a model: --sampler/--steps or the model's defaults, both from the
/// library's <see cref="SamplingPlan"/> (a few-step denoiser defaults to its Euler plan), checked against the model kind.
/// </summary>
/// <param name="Sampler">The library sampler.</param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="Nfe">Network evaluations per sample.</param>
internal sealed record SamplingChoice(SamplerKind Sampler, int Steps, int Nfe)
{
    /// <summary>Its command-line name (heun, euler, stochastic, dpm++2m, consistency).</summary>
    public string Name => EnumNames.Of(Sampler);

    /// <summary>"consistency, 2 steps (2 NFE)".</summary>
    public override string ToString() => $"{Name}, {Steps} step{(Steps == 1 ? "" : "s")} ({Nfe} NFE)";

    /// <summary>Resolves --sampler and --steps for the model at <paramref name="modelPath"/>; one-line errors.</summary>
    public static SamplingChoice Resolve(string modelPath, ModelMetadata metadata, SamplerKind? sampler, int? steps)
    {
        var chosen = sampler ?? SamplingPlan.DefaultSampler(metadata);
        string name = EnumNames.Of(chosen);
        string method = metadata.Method == TrainingMethod.Unknown ? "" : $", method {EnumNames.Of(metadata.Method)}";
        if (!SamplingPlan.Fits(metadata, chosen))
            throw new CmException(chosen == SamplerKind.Consistency
                ? $"--sampler consistency needs a consistency model, but {modelPath} is a teacher (a denoiser{method}): use heun, euler, stochastic or dpm++2m"
                : $"--sampler {name} does not apply to {modelPath}: it is a consistency model{method}; use --sampler consistency (or leave --sampler out)");
        int k = steps ?? SamplingPlan.DefaultSteps(metadata, chosen);
        if (chosen == SamplerKind.Consistency && k > SamplingPlan.MaxConsistencySteps)
            throw new CmException($"--steps {k}: consistency sampling supports 1 to {SamplingPlan.MaxConsistencySteps} steps");
        return new SamplingChoice(chosen, k, SamplingPlan.Nfe(chosen, k));
    }
}
