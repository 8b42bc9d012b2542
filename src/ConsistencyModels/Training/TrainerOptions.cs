namespace ConsistencyModels.Training;

/// <summary>Settings of the generic training loop (the method's own settings live in its objective).</summary>
public sealed record TrainerOptions
{
    /// <summary>Total optimizer steps.</summary>
    public long Iterations { get; init; } = 1000;

    /// <summary>Samples per batch shard (per process when <see cref="Shards"/> equals the number of ranks).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Shards of every global batch (0 = one per rank). Each shard has its own data and noise stream; a rank
    /// processes its shards one after the other, accumulating gradients. One process with Shards = K reproduces a
    /// K-rank run.
    /// </summary>
    public int Shards { get; init; }

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Linear learning-rate warm-up length in steps (0 = none).</summary>
    public long WarmupIterations { get; init; }

    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Seed of every random draw (data, noise, σ).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Write a checkpoint every this many steps (and at the end).</summary>
    public long CheckpointEvery { get; init; } = 500;

    /// <summary>Report progress every this many steps.</summary>
    public long LogEvery { get; init; } = 10;

    /// <summary>Call the sample-grid hook every this many steps (0 = only at the end).</summary>
    public long SampleEvery { get; init; } = 1000;

    /// <summary>Validates the settings, throwing ArgumentException with what was expected.</summary>
    public void Validate()
    {
        if (Iterations < 1) throw new ArgumentException($"iterations must be >= 1, got {Iterations}.");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be > 0, got {LearningRate}.");
        if (CheckpointEvery < 1) throw new ArgumentException($"checkpoint interval must be >= 1, got {CheckpointEvery}.");
        if (LogEvery < 1) throw new ArgumentException($"log interval must be >= 1, got {LogEvery}.");
        if (GradientClip < 0) throw new ArgumentException($"gradient clip must be >= 0, got {GradientClip}.");
        if (Shards < 0) throw new ArgumentException($"shards must be >= 0, got {Shards}.");
        if (WarmupIterations < 0) throw new ArgumentException($"warm-up must be >= 0, got {WarmupIterations}.");
    }
}
