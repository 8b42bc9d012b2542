namespace ConsistencyModels.Tool.Options;

/// <summary>
/// The parsed and validated options of <c>cm distill</c>. Per-method defaults are already resolved
/// (<see cref="DistillDefaults"/>); options that do not apply to <see cref="Method"/> are null.
/// </summary>
/// <param name="Method">The distillation / training method.</param>
/// <param name="Teacher">Teacher model file (null for ct and ict).</param>
/// <param name="Data">Training images (null for rectified, which makes its pairs from the teacher).</param>
/// <param name="Out">Run directory: model.safetensors, checkpoints/, log.jsonl, samples/.</param>
/// <param name="Iters">Training iterations (total over all rounds / phases).</param>
/// <param name="Batch">Samples per iteration.</param>
/// <param name="Lr">Adam learning rate.</param>
/// <param name="Loss">Distance d of the loss.</param>
/// <param name="Weighting">Loss weighting λ(σ).</param>
/// <param name="N">cd, direct-cd: Karras grid points; ct, ict: final N; progressive: teacher steps of round 1; rectified: teacher Heun steps per pair.</param>
/// <param name="NStart">ct, ict: initial N of the discretization curriculum (null otherwise).</param>
/// <param name="Ema">cd, ct: target-network EMA decay μ (ct: μ₀ of the schedule); null otherwise.</param>
/// <param name="Rounds">progressive: halving rounds (null otherwise).</param>
/// <param name="Pairs">rectified: number of (noise, sample) pairs (null otherwise).</param>
/// <param name="Form">rectified: diffusion form to retrain in (null otherwise).</param>
/// <param name="Config">ct, ict: network preset (others take the teacher's architecture); null otherwise.</param>
/// <param name="Crop">Training crop size; null = the teacher's crop.</param>
/// <param name="Seed">Random seed (deterministic on CPU).</param>
/// <param name="Resume">Continue the run in <paramref name="Out"/> from its latest checkpoint.</param>
/// <param name="Force">Overwrite a finished or interrupted run in <paramref name="Out"/>.</param>
/// <param name="Device">Compute device.</param>
/// <param name="CheckpointEvery">Iterations between checkpoints.</param>
/// <param name="SampleEvery">Iterations between sample grids (0 = never).</param>
/// <param name="Shards">Batch shards per step (0 = one per rank).</param>
/// <param name="Distributed">Data-parallel mode: none, or mpi under mpirun.</param>
/// <param name="LogEvery">Iterations between log.jsonl lines.</param>
public sealed record DistillOptions(
    DistillMethod Method,
    string? Teacher,
    string? Data,
    string Out,
    int Iters,
    int Batch,
    double Lr,
    DistanceKind Loss,
    WeightingKind Weighting,
    int N,
    int? NStart,
    double? Ema,
    int? Rounds,
    int? Pairs,
    DiffusionFormKind? Form,
    NetworkPreset? Config,
    int? Crop,
    int Seed,
    bool Resume,
    bool Force,
    ComputeDevice Device,
    int CheckpointEvery,
    int SampleEvery,
    int LogEvery,
    ConsistencyModels.Distributed.DistributedMode Distributed = ConsistencyModels.Distributed.DistributedMode.None,
    int Shards = 0);
