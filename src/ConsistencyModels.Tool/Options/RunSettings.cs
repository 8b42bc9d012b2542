using ConsistencyModels.Distributed;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Options;

/// <summary>
/// The settings every training command shares (bound once by <c>CommandLine/RunOptionSet</c>, nested in
/// <see cref="TrainTeacherOptions"/> and <see cref="DistillOptions"/>, and turned into the library's
/// <see cref="TrainerOptions"/> by <see cref="ToTrainer"/>).
/// </summary>
public sealed record RunSettings
{
    /// <summary>Run directory: model.safetensors, checkpoints/, log.jsonl, samples/.</summary>
    public required string Out { get; init; }

    /// <summary>Samples per iteration.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Random seed (deterministic on CPU).</summary>
    public int Seed { get; init; }

    /// <summary>Continue the run in <see cref="Out"/> from its latest checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Overwrite a finished or interrupted run in <see cref="Out"/>.</summary>
    public bool Force { get; init; }

    /// <summary>Compute device.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;

    /// <summary>Iterations between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Iterations between sample grids (0 = only at the end).</summary>
    public int SampleEvery { get; init; } = 1000;

    /// <summary>Iterations between log.jsonl lines.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Data-parallel mode: none, or mpi under mpirun.</summary>
    public DistributedMode Distributed { get; init; } = DistributedMode.None;

    /// <summary>Batch shards per step (0 = one per rank).</summary>
    public int Shards { get; init; }

    /// <summary>The trainer's options for a run of <paramref name="iterations"/> steps at learning rate <paramref name="learningRate"/>.</summary>
    public TrainerOptions ToTrainer(long iterations, double learningRate, long warmup = 0) => new()
    {
        Iterations = iterations,
        BatchSize = Batch,
        LearningRate = learningRate,
        WarmupIterations = warmup,
        Seed = Seed,
        Shards = Shards,
        CheckpointEvery = CheckpointEvery,
        LogEvery = LogEvery,
        SampleEvery = SampleEvery,
    };
}
