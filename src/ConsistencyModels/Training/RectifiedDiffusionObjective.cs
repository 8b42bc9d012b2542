using ConsistencyModels.Losses;
using ConsistencyModels.Platform;
using ConsistencyModels.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Rectified diffusion (seed 002): retrain a denoiser (initialized from the teacher) on fixed noise–sample
/// pairs made by the teacher's ODE solver. Batches are drawn from the pairs, not from the data.
/// </summary>
/// <param name="student">The retrained denoiser.</param>
/// <param name="ema">Its sampling EMA (overwritten with the student's weights).</param>
/// <param name="loss">The loss.</param>
/// <param name="pairs">The (noise, teacher sample) pairs.</param>
/// <param name="emaRate">Decay of the sampling EMA.</param>
public sealed class RectifiedDiffusionObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor> ema,
    RectifiedDiffusionLoss loss, RectifiedPairs pairs, double emaRate) : StudentObjective(TrainingMethod.Rectified, student, ema, emaRate)
{
    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        var idx = randint(0, pairs.Count, new long[] { x0.shape[0] }, dtype: ScalarType.Int64, generator: generator);
        var samples = pairs.Samples.index_select(0, idx);
        var noise = pairs.Noise.index_select(0, idx);
        var pairLabels = pairs.Labels?.index_select(0, idx);
        return loss.Compute(TeacherSteps.Conditioned(Student), samples, noise, pairLabels, generator).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Noise–sample pairs (ε, x₀ = Φ_teacher(σmax·ε)) for rectified diffusion, made with the teacher's Heun solver.
/// </summary>
public sealed class RectifiedPairs : IDisposable
{
    /// <summary>Wraps existing tensors (the object owns them).</summary>
    public RectifiedPairs(Tensor samples, Tensor noise, Tensor? labels)
    {
        TensorGuard.SameShape(samples, noise, nameof(samples), nameof(noise));
        Samples = samples;
        Noise = noise;
        Labels = labels;
    }

    /// <summary>x₀ [P, 3, c, c].</summary>
    public Tensor Samples { get; }

    /// <summary>ε [P, 3, c, c] (unit variance).</summary>
    public Tensor Noise { get; }

    /// <summary>Class labels [P] or null.</summary>
    public Tensor? Labels { get; }

    /// <summary>The number of pairs.</summary>
    public long Count => Samples.shape[0];

    /// <summary>
    /// Generates <paramref name="count"/> pairs of size <paramref name="size"/> with the teacher's Heun solver on
    /// <paramref name="sigmas"/>, in batches, labels cycling over <paramref name="classCount"/> classes.
    /// </summary>
    public static RectifiedPairs Generate(Func<Tensor?, Denoiser> teacher, int count, int size, int classCount, IReadOnlyList<double> sigmas,
        long seed, int batchSize = 64, Action<int>? progress = null)
    {
        Guard.AtLeast(count, 1, nameof(count));
        using var generator = new Generator((ulong)seed, CPU);
        var samples = new List<Tensor>();
        var noises = new List<Tensor>();
        var labelList = new List<long>();
        using var _ = no_grad();
        for (int start = 0; start < count; start += batchSize)
        {
            int b = Math.Min(batchSize, count - start);
            var noise = randn(new long[] { b, 3, size, size }, generator: generator);
            Tensor? labels = null;
            if (classCount > 0)
            {
                var ids = new long[b];
                for (int i = 0; i < b; i++) ids[i] = (start + i) % classCount;
                labelList.AddRange(ids);
                labels = tensor(ids);
            }
            using var scope = NewDisposeScope();
            var x0 = HeunSolver.Sample(teacher(labels), noise.Times(sigmas[0]), sigmas).Clamp(-1, 1).MoveToOuterDisposeScope();
            samples.Add(x0);
            noises.Add(noise);
            labels?.Dispose();
            progress?.Invoke(start + b);
        }
        var all = cat(samples, 0);
        var allNoise = cat(noises, 0);
        foreach (var t in samples.Concat(noises)) t.Dispose();
        return new RectifiedPairs(all, allNoise, classCount > 0 ? tensor(labelList.ToArray()) : null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Samples.Dispose();
        Noise.Dispose();
        Labels?.Dispose();
    }
}
