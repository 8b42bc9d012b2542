using System.Diagnostics;
using System.Globalization;
using ConsistencyModels.Distributed;
using ConsistencyModels.Platform;
using MpiTestHost;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Exit codes: 0 ok, 2 bad arguments / unreadable checkpoint, 3 job aborted (DistributedRunner), 4 non-finite loss.
HostOptions options;
try
{
    options = HostOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

if (options.VerifyPath is not null) return Verify(options.VerifyPath);

using var sync = GradientSynchronizerFactory.Create(options.UseMpi ? DistributedMode.Mpi : DistributedMode.None, options.BucketBytes);
if (sync.WorldSize > 1) torch.set_num_threads(1); // K ranks on 2 cores: one thread each, no oversubscription.
int code = DistributedRunner.RunOrAbort(sync, () => options.Bench ? Bench(options, sync) : Train(options, sync));
if (options.ReportMaps)
    Console.WriteLine($"libmpi-mapped={File.ReadAllText("/proc/self/maps").Contains("libmpi.so", StringComparison.Ordinal).ToString().ToLowerInvariant()}");
return code;

static int Train(HostOptions o, IGradientSynchronizer sync)
{
    // Deliberately different initial weights per rank: only BroadcastParameters makes the replicas equal.
    using var model = TinyModel.Create(o.Seed + 7919L * sync.Rank);
    int startStep = 0;
    if (o.ResumePath is not null)
    {
        // Rank 0 reads the checkpoint (written by a run with any K); the broadcast below hands it to every rank.
        long completed = 0;
        if (sync.IsPrimary)
        {
            var (steps, tensors) = ParameterFile.Read(o.ResumePath);
            TinyModel.Load(model, tensors);
            completed = steps;
        }
        startStep = (int)sync.AllReduceScalar(completed, ReduceOperation.Max);
    }
    sync.BroadcastParameters(model.parameters());

    // --batch is per rank; a single process with batch K·B and the same --shards reproduces a K-rank run.
    var plan = new RankedBatchPlan(o.Seed, sync.Rank, sync.WorldSize, o.Batch, o.Shards);
    using var w = TinyModel.TargetWeights();
    // Plain SGD (TorchSharp's SGD.step with momentum 0: p += -lr·grad) with a kept-alive Scalar.
    using var negativeLearningRate = (-o.LearningRate).ToScalar();
    var parameters = model.parameters().ToList();

    for (int step = startStep; step < o.Steps; step++)
    {
        if (sync.Rank == o.CrashRank && step == o.CrashStep) InjectCrash(o.CrashMode, step);
        if (o.StepDelayMs > 0) Thread.Sleep(o.StepDelayMs);
        using var scope = NewDisposeScope();
        // This rank's shards of the global batch; over all ranks, the shards 0..S-1 in order.
        var x = cat(plan.Shards.Select(shard =>
        {
            using var g = plan.CreateGenerator(shard, step);
            return randn(new long[] { plan.ShardBatch, TinyModel.InputDim }, generator: g);
        }).ToArray(), 0);
        var y = sin(x.matmul(w));
        foreach (var p in parameters) { using var grad = p.grad; grad?.zero_(); }
        var loss = nn.functional.mse_loss(model.forward(x), y);
        loss.backward();
        double localLoss = loss.item<float>();
        if (sync.Rank == o.NanRank && step == o.NanStep) localLoss = double.NaN;
        if (sync.AnyRankNonFinite(localLoss))
        {
            if (sync.IsPrimary) Console.Error.WriteLine($"error: non-finite loss at step {step} on some rank; stopping all ranks, last good checkpoint kept.");
            return 4;
        }
        sync.AverageGradients(parameters);
        using (no_grad())
            foreach (var p in parameters) { using var grad = p.grad; if (grad is not null) p.add_(grad, negativeLearningRate); }
        double meanLoss = sync.MeanOverRanks(localLoss);
        if (sync.IsPrimary)
        {
            if (o.CheckpointPath is not null) ParameterFile.WriteAtomic(o.CheckpointPath, step + 1, TinyModel.Snapshot(model));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step + 1} loss {meanLoss:R}"));
        }
    }

    // Every replica must hold the same parameters: compare a checksum's max and min over ranks.
    double checksum = parameters.Sum(p => p.detach().abs().sum().item<float>() + 0.5 * p.detach().sum().item<float>());
    bool agree = sync.AllReduceScalar(checksum, ReduceOperation.Max) == sync.AllReduceScalar(checksum, ReduceOperation.Min);
    if (sync.IsPrimary)
    {
        Console.WriteLine($"replicas-agree={agree.ToString().ToLowerInvariant()} world-size={sync.WorldSize}");
        if (o.OutPath is not null) ParameterFile.WriteAtomic(o.OutPath, o.Steps, TinyModel.Snapshot(model));
    }
    sync.Barrier();
    return 0;
}

static void InjectCrash(string mode, int step)
{
    switch (mode)
    {
        case "exit":
            Console.Error.Flush();
            Environment.Exit(42); // dies without MPI_Finalize
            break;
        case "kill":
            Process.GetCurrentProcess().Kill(); // SIGKILL: like the OOM killer or a lost node
            break;
        default:
            throw new InvalidDataException($"injected fault: bad input at step {step}");
    }
}

static int Verify(string path)
{
    try
    {
        var (steps, tensors) = ParameterFile.Read(path);
        using var model = TinyModel.Create(0);
        TinyModel.Load(model, tensors);
        Console.WriteLine($"checkpoint ok: steps={steps} tensors={tensors.Count}");
        return 0;
    }
    catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
}

static int Bench(HostOptions o, IGradientSynchronizer sync)
{
    if (sync is not MpiSynchronizer mpi) throw new ArgumentException("--bench measures MPI_Allreduce: run it under mpirun.");
    if (sync.IsPrimary)
    {
        Console.WriteLine($"K={sync.WorldSize}, {o.BenchIterations} timed iterations per size (median; min), bucket cap {o.BucketBytes / 1048576.0:0.#} MB");
        Console.WriteLine("| gradient MB | float32 values | MPI_Allreduce ms (median) | min ms | AverageGradients ms (median) | local a+=b ms (median) | bus bandwidth GB/s = 2(K−1)/K·G/t |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
    }
    foreach (var mb in o.BenchSizesMb)
    {
        long n = Math.Max(1, (long)(mb * 1024 * 1024 / sizeof(float)));
        using var flat = ones(n);
        var raw = Time(sync, o.BenchIterations, () => mpi.AllReduceSumInPlace(flat));
        using var p = new Parameter(zeros(n));
        p.sum().backward(); // gives p a gradient of ones
        var full = Time(sync, o.BenchIterations, () => sync.AverageGradients([p]));
        // Reference: the arithmetic of a reduction without communication (memory-bound on one core).
        using var other = ones(n);
        var local = Time(sync, o.BenchIterations, () => flat.add_(other, ConsistencyModels.Platform.ScalarArithmetic.One));
        if (sync.IsPrimary)
        {
            double bytes = n * 4.0;
            double busGbps = 2.0 * (sync.WorldSize - 1) / sync.WorldSize * bytes / (raw.Median / 1000) / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mb:0.###} | {n} | {raw.Median:0.###} | {raw.Min:0.###} | {full.Median:0.###} | {local.Median:0.###} | {busGbps:0.##} |"));
        }
    }
    return 0;
}

static (double Median, double Min) Time(IGradientSynchronizer sync, int iterations, Action action)
{
    for (int i = 0; i < 2; i++) action(); // warm up (first touch, shared-memory segments)
    var ms = new double[iterations];
    for (int i = 0; i < iterations; i++)
    {
        sync.Barrier();
        long t0 = Stopwatch.GetTimestamp();
        action();
        ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
    Array.Sort(ms);
    return (ms[iterations / 2], ms[0]);
}
