using ConsistencyModels.IO;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Sampling;

/// <summary>
/// Draws samples from a model with a chosen sampler and step count: x_T = σmax·z, then the solver on the noise
/// levels <see cref="SamplingPlan"/> decides. The one place the tool, the metrics and the training grids turn
/// (model, sampler, steps, seed) into images.
/// </summary>
public static class ModelSampler
{
    /// <summary>S_churn of the stochastic sampler unless told otherwise (EDM's ImageNet-64 setting).</summary>
    public const double DefaultChurn = 40;

    /// <summary>Samples per batch of <see cref="GenerateBatched"/> unless told otherwise.</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>
    /// Generates <paramref name="count"/> samples [count, 3, height, width] in [-1, 1] (float32, on the model's
    /// device) from seed <paramref name="seed"/>. <paramref name="labels"/> ([count] int64) for class-conditional models.
    /// </summary>
    public static Tensor Generate(PreconditionedNetwork model, ModelMetadata metadata, SamplerKind sampler, int steps,
        int count, int height, int width, Tensor? labels, long seed) =>
        GenerateOne(model, metadata, sampler, steps, count, height, width, labels, seed, clamp: true);

    /// <summary>
    /// Generates <paramref name="count"/> samples in batches of <paramref name="batchSize"/> so large counts do not
    /// exhaust memory; returns them on the CPU, [count, 3, height, width] float32. Batch k is
    /// <see cref="Generate"/> with seed <see cref="BatchSeed"/>(seed, k), so batch 0 equals
    /// <c>Generate(…, min(count, batchSize), …, seed)</c> and the result depends only on the seed and the batch size.
    /// Two models sampled with the same seed, size and batch size start from the same x_T = σmax·z (for the ODE
    /// error) when their σmax agree.
    /// </summary>
    /// <param name="model">The network (eval mode is set).</param>
    /// <param name="metadata">Its metadata (σ settings, τ, grids).</param>
    /// <param name="sampler">The sampler.</param>
    /// <param name="steps">Sampling steps.</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="height">Sample height (a multiple of the network's downsampling).</param>
    /// <param name="width">Sample width.</param>
    /// <param name="labels">Class labels [count] int64 for conditional models, else null.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="batchSize">Samples per network call.</param>
    /// <param name="clamp">Clamp to [-1, 1] (false keeps the raw sampler output, e.g. to measure ODE errors).</param>
    /// <param name="progress">Called after each batch with the number of samples done.</param>
    /// <param name="churn">S_churn of the stochastic sampler (other samplers ignore it).</param>
    public static Tensor GenerateBatched(PreconditionedNetwork model, ModelMetadata metadata, SamplerKind sampler, int steps,
        int count, int height, int width, Tensor? labels, long seed, int batchSize = DefaultBatchSize, bool clamp = true,
        Action<int>? progress = null, double churn = DefaultChurn)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        Guard.AtLeast(count, 1, nameof(count));
        Guard.AtLeast(batchSize, 1, nameof(batchSize));
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != count))
            throw new ArgumentException($"labels must have shape [{count}] (one per sample), got [{string.Join(", ", labels.shape)}].", nameof(labels));
        var result = zeros(new long[] { count, 3, height, width }, dtype: ScalarType.Float32);
        try
        {
            for (int start = 0, k = 0; start < count; start += batchSize, k++)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, count - start);
                var batchLabels = labels?.narrow(0, start, n);
                var batch = GenerateOne(model, metadata, sampler, steps, n, height, width, batchLabels, BatchSeed(seed, k), clamp, churn);
                result.narrow(0, start, n).copy_(batch.to(ScalarType.Float32).cpu());
                progress?.Invoke(start + n);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The seed of batch <paramref name="batchIndex"/> in <see cref="GenerateBatched"/>: <paramref name="seed"/> itself for
    /// batch 0, then a SplitMix64 mix of both, so neighbouring seeds do not share batches.
    /// </summary>
    public static long BatchSeed(long seed, int batchIndex)
    {
        Guard.AtLeast(batchIndex, 0, nameof(batchIndex));
        if (batchIndex == 0) return seed;
        // SplitMix64 finalizer (Steele et al. 2014) of seed + k·golden ratio.
        ulong z = unchecked((ulong)seed + (ulong)batchIndex * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)(z ^ (z >> 31));
    }

    private static Tensor GenerateOne(PreconditionedNetwork model, ModelMetadata metadata, SamplerKind sampler, int steps,
        int count, int height, int width, Tensor? labels, long seed, bool clamp, double churn = DefaultChurn)
    {
        Guard.NonNegative(churn, nameof(churn));
        ArgumentNullException.ThrowIfNull(model);
        Guard.AtLeast(count, 1, nameof(count));
        metadata.Config.ValidateImageSize(height, width);
        if (!SamplingPlan.Fits(metadata, sampler))
            throw new ArgumentException(sampler == SamplerKind.Consistency
                ? "the consistency sampler needs a consistency model; use heun, euler, dpm++2m or stochastic for a diffusion model."
                : "a consistency model samples with the consistency sampler (steps 1, 2, ...), not an ODE solver.");
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
                result = ConsistencySampler.Sample(denoiser, z.Times(metadata.SigmaMax), SamplingPlan.ConsistencyTaus(metadata, steps),
                    metadata.SigmaMax, metadata.SigmaMin, generator);
                break;
            case SamplerKind.Heun:
                result = HeunSolver.Sample(denoiser, z.Times(metadata.SigmaMax), SamplingPlan.OdeGrid(metadata, steps));
                break;
            case SamplerKind.Euler:
                result = EulerSolver.Sample(denoiser, z.Times(metadata.SigmaMax), SamplingPlan.OdeGrid(metadata, steps));
                break;
            case SamplerKind.DpmPlusPlus2M:
                result = DpmSolverPlusPlus2M.Sample(denoiser, z.Times(metadata.SigmaMax), SamplingPlan.OdeGrid(metadata, steps));
                break;
            case SamplerKind.Stochastic:
                result = EdmStochasticSampler.Sample(denoiser, z.Times(metadata.SigmaMax), SamplingPlan.OdeGrid(metadata, steps),
                    sChurn: churn, sTmin: 0.05, sTmax: 50, sNoise: 1.003, generator: generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler");
        }
        return (clamp ? result.Clamp(-1, 1) : result).MoveToOuterDisposeScope();
    }
}
