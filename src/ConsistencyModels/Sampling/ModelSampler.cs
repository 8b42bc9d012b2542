using ConsistencyModels.IO;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Sampling;

/// <summary>
/// Draws samples from a model with a chosen sampler and step count: x_T = σmax·z, then the solver. The one
/// place the tool, the metrics and the training grids turn (model, sampler, steps, seed) into images.
/// </summary>
public static class ModelSampler
{
    /// <summary>The default sampler for a model: consistency sampling for consistency models, Heun otherwise.</summary>
    public static SamplerKind DefaultSampler(ModelMetadata metadata) =>
        metadata.Kind == ModelKind.Consistency ? SamplerKind.Consistency : SamplerKind.Heun;

    /// <summary>The default step count: 1 for consistency models, 18 (35 NFE) for Heun, else 35.</summary>
    public static int DefaultSteps(ModelMetadata metadata, SamplerKind sampler) => sampler switch
    {
        SamplerKind.Consistency => 1,
        SamplerKind.Heun or SamplerKind.Stochastic => 18,
        _ => metadata.SamplingSigmas.Length > 1 ? metadata.SamplingSigmas.Length - 1 : 35,
    };

    /// <summary>Network evaluations for a sampler and step count.</summary>
    public static int Nfe(SamplerKind sampler, int steps) => sampler switch
    {
        SamplerKind.Heun or SamplerKind.Stochastic => 2 * steps - 1,
        _ => steps,
    };

    /// <summary>
    /// The noise grid for an ODE sampler with <paramref name="steps"/> steps: the model's own grid when it was
    /// distilled for exactly that many steps (progressive, rectified), else a Karras grid with a trailing 0.
    /// </summary>
    public static double[] OdeGrid(ModelMetadata metadata, int steps)
    {
        Guard.AtLeast(steps, 1, nameof(steps));
        if (metadata.SamplingSigmas.Length == steps + 1) return metadata.SamplingSigmas.ToArray();
        if (steps == 1) return new[] { metadata.SigmaMax, 0.0 };
        return KarrasSchedule.Sigmas(steps, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho, appendZero: true).ToArray();
    }

    /// <summary>
    /// The intermediate noise levels τ for multistep consistency sampling with <paramref name="steps"/> steps:
    /// the model's searched τ for 2 steps, else evenly spaced indices of an 18-point Karras grid.
    /// </summary>
    public static double[] ConsistencyTaus(ModelMetadata metadata, int steps)
    {
        Guard.AtLeast(steps, 1, nameof(steps));
        if (steps == 1) return Array.Empty<double>();
        if (metadata.MultistepTaus.Length == steps - 1) return metadata.MultistepTaus.ToArray();
        var grid = KarrasSchedule.Sigmas(40, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho, appendZero: false);
        var taus = new double[steps - 1];
        for (int i = 1; i < steps; i++) taus[i - 1] = grid[(int)Math.Round(i * (grid.Length - 1.0) / steps)];
        return taus;
    }

    /// <summary>
    /// Generates <paramref name="count"/> samples [count, 3, height, width] in [-1, 1] (float32, on the model's
    /// device) from seed <paramref name="seed"/>. <paramref name="labels"/> ([count] int64) for class-conditional models.
    /// </summary>
    public static Tensor Generate(PreconditionedNetwork model, ModelMetadata metadata, SamplerKind sampler, int steps,
        int count, int height, int width, Tensor? labels, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        Guard.AtLeast(count, 1, nameof(count));
        metadata.Config.ValidateImageSize(height, width);
        if (sampler == SamplerKind.Consistency && metadata.Kind != ModelKind.Consistency)
            throw new ArgumentException("the consistency sampler needs a consistency model; use heun, euler, dpm++2m or stochastic for a diffusion model.");
        if (sampler != SamplerKind.Consistency && metadata.Kind == ModelKind.Consistency)
            throw new ArgumentException("a consistency model samples with the consistency sampler (steps 1, 2, ...), not an ODE solver.");
        var device = model.parameters().First().device;
        using var generator = new Generator((ulong)seed, CPU);
        using var outer = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var z = randn(new long[] { count, 3, height, width }, generator: generator).to(device);
        var denoiser = model.AsDenoiser(labels?.to(device));
        Tensor result;
        switch (sampler)
        {
            case SamplerKind.Consistency:
                result = ConsistencySampler.Sample(denoiser, z * metadata.SigmaMax, ConsistencyTaus(metadata, steps),
                    metadata.SigmaMax, metadata.SigmaMin, generator);
                break;
            case SamplerKind.Heun:
                result = HeunSolver.Sample(denoiser, z * metadata.SigmaMax, OdeGrid(metadata, steps));
                break;
            case SamplerKind.Euler:
                result = EulerSolver.Sample(denoiser, z * metadata.SigmaMax, OdeGrid(metadata, steps));
                break;
            case SamplerKind.DpmPlusPlus2M:
                result = DpmSolverPlusPlus2M.Sample(denoiser, z * metadata.SigmaMax, OdeGrid(metadata, steps));
                break;
            case SamplerKind.Stochastic:
                result = EdmStochasticSampler.Sample(denoiser, z * metadata.SigmaMax, OdeGrid(metadata, steps),
                    sChurn: 40, sTmin: 0.05, sTmax: 50, sNoise: 1.003, generator: generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler");
        }
        return result.clamp(-1, 1).MoveToOuterDisposeScope();
    }
}
