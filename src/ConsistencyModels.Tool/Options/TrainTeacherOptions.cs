namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm train-teacher</c> (an EDM teacher, DESIGN.md).</summary>
/// <param name="Data">Image folder (PNG/JPEG, one subfolder per class) or GIMP pattern folder.</param>
/// <param name="Out">Run directory: model.safetensors, checkpoints/, log.jsonl, samples/.</param>
/// <param name="Config">Network size preset.</param>
/// <param name="Crop">Training crop size in pixels (square, wrap-around).</param>
/// <param name="Batch">Crops per iteration.</param>
/// <param name="Iters">Training iterations (total, including resumed ones).</param>
/// <param name="Lr">Adam learning rate.</param>
/// <param name="Ema">Decay of the weight EMA that becomes the saved model.</param>
/// <param name="Warmup">Learning-rate warm-up iterations (null = min(1000, iters/10)).</param>
/// <param name="Seed">Random seed (deterministic on CPU).</param>
/// <param name="Resume">Continue the run in <paramref name="Out"/> from its latest checkpoint.</param>
/// <param name="Force">Overwrite a finished or interrupted run in <paramref name="Out"/>.</param>
/// <param name="Unconditional">Ignore class subfolders and train one unconditional model.</param>
/// <param name="Device">Compute device.</param>
/// <param name="CheckpointEvery">Iterations between checkpoints.</param>
/// <param name="SampleEvery">Iterations between sample grids (0 = never).</param>
/// <param name="Shards">Batch shards per step (0 = one per rank).</param>
/// <param name="Distributed">Data-parallel mode: none, or mpi under mpirun.</param>
/// <param name="Shape">Changes to the preset's network (levels, width, blocks, attention).</param>
/// <param name="Compute">Convolution layout and precision; null = bf16 where the CPU has native bf16, else fp32.</param>
/// <param name="LogEvery">Iterations between log.jsonl lines.</param>
public sealed record TrainTeacherOptions(
    string Data,
    string Out,
    NetworkPreset Config,
    int Crop,
    int Batch,
    int Iters,
    double Lr,
    double Ema,
    int? Warmup,
    int Seed,
    bool Resume,
    bool Force,
    bool Unconditional,
    ComputeDevice Device,
    int CheckpointEvery,
    int SampleEvery,
    int LogEvery,
    ConsistencyModels.Distributed.DistributedMode Distributed = ConsistencyModels.Distributed.DistributedMode.None,
    int Shards = 0,
    NetworkShape? Shape = null,
    ConsistencyModels.Networks.ConvolutionCompute? Compute = null);
