using ConsistencyModels.IO;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Options;
using LibrarySampler = ConsistencyModels.Sampling.SamplerKind;
using ToolSampler = ConsistencyModels.Tool.Options.SamplerKind;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// The sampler and step count a command uses for a model: --sampler/--steps or the model's defaults
/// (<see cref="ModelSampler.DefaultSampler"/>, <see cref="ModelSampler.DefaultSteps"/>), checked against the model kind.
/// </summary>
/// <param name="Sampler">The library sampler.</param>
/// <param name="Name">Its command-line name (heun, euler, stochastic, dpm++2m, consistency).</param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="Nfe">Network evaluations per sample.</param>
internal sealed record SamplingChoice(LibrarySampler Sampler, string Name, int Steps, int Nfe)
{
    /// <summary>Consistency sampling takes its τ from a 40-point Karras grid, so at most 39 distinct steps.</summary>
    public const int MaxConsistencySteps = 39;

    /// <summary>"consistency, 2 steps (2 NFE)".</summary>
    public override string ToString() => $"{Name}, {Steps} step{(Steps == 1 ? "" : "s")} ({Nfe} NFE)";

    /// <summary>Resolves --sampler and --steps for the model at <paramref name="modelPath"/>; one-line errors.</summary>
    public static SamplingChoice Resolve(string modelPath, ModelMetadata metadata, ToolSampler? sampler, int? steps)
    {
        var chosen = sampler is ToolSampler s ? ToLibrary(s) : ModelSampler.DefaultSampler(metadata);
        string name = CliNames.Of(ToTool(chosen));
        bool consistencyModel = metadata.Kind == ModelKind.Consistency;
        string method = string.IsNullOrEmpty(metadata.Method) ? "" : $", method {metadata.Method}";
        if (chosen == LibrarySampler.Consistency && !consistencyModel)
            throw new CmException(
                $"--sampler consistency needs a consistency model, but {modelPath} is a teacher (a denoiser{method}): use heun, euler, stochastic or dpm++2m");
        if (chosen != LibrarySampler.Consistency && consistencyModel)
            throw new CmException(
                $"--sampler {name} does not apply to {modelPath}: it is a consistency model{method}; use --sampler consistency (or leave --sampler out)");
        int k = steps ?? ModelSampler.DefaultSteps(metadata, chosen);
        if (chosen == LibrarySampler.Consistency && k > MaxConsistencySteps)
            throw new CmException($"--steps {k}: consistency sampling supports 1 to {MaxConsistencySteps} steps");
        return new SamplingChoice(chosen, name, k, ModelSampler.Nfe(chosen, k));
    }

    /// <summary>The library sampler for a command-line sampler.</summary>
    public static LibrarySampler ToLibrary(ToolSampler sampler) => sampler switch
    {
        ToolSampler.Heun => LibrarySampler.Heun,
        ToolSampler.Euler => LibrarySampler.Euler,
        ToolSampler.Stochastic => LibrarySampler.Stochastic,
        ToolSampler.DpmPlusPlus2M => LibrarySampler.DpmPlusPlus2M,
        ToolSampler.Consistency => LibrarySampler.Consistency,
        _ => throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler"),
    };

    /// <summary>The command-line sampler for a library sampler.</summary>
    public static ToolSampler ToTool(LibrarySampler sampler) => sampler switch
    {
        LibrarySampler.Heun => ToolSampler.Heun,
        LibrarySampler.Euler => ToolSampler.Euler,
        LibrarySampler.Stochastic => ToolSampler.Stochastic,
        LibrarySampler.DpmPlusPlus2M => ToolSampler.DpmPlusPlus2M,
        LibrarySampler.Consistency => ToolSampler.Consistency,
        _ => throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler"),
    };
}
