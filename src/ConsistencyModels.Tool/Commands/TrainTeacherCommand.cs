using ConsistencyModels.Data;
using ConsistencyModels.Distributed;
using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Tool.Runs;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm train-teacher</c>: trains an EDM teacher on random wrap-around crops (DESIGN.md).</summary>
public static class TrainTeacherCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: the trainer stops after the current step and saves a checkpoint.</param>
    /// <returns>The exit code.</returns>
    public static int Run(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        using var sync = GradientSynchronizerFactory.Create(options.Distributed);
        return DistributedRunner.RunOrAbort(sync, () => RunOnRank(options, sync.IsPrimary ? progress : new NullProgressReporter(), cancellation, sync));
    }

    private static int RunOnRank(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation, IGradientSynchronizer sync)
    {
        InputChecks.RequireData("--data", options.Data);
        var device = ToolDevice.Resolve(options.Device);
        var dataset = TrainingDataLoader.Load(options.Data);
        var config = (options.Shape ?? NetworkShape.None).Apply(Presets.For(options.Config)) with { ClassCount = options.Unconditional || dataset.ClassNames.Count < 2 ? 0 : dataset.ClassNames.Count };
        NetworkLimits.CheckSize("--crop", options.Crop, config, CliNames.Of(options.Config));
        var compute = options.Compute ?? ConvolutionCompute.TrainingDefault(device.type == DeviceType.CPU);
        MemoryBudget.Check("--crop", options.Crop, options.Batch, config);
        var run = sync.IsPrimary
            ? RunDirectory.Prepare(options.Out, options.Resume, options.Force, [("--data", options.Data)], progress.Info)
            : RunDirectory.Attach(options.Out, options.Resume);
        sync.Barrier(); // rank 0 has checked and created the run folder
        var batches = new CropBatchSource(dataset, options.Crop, options.Seed, conditional: config.ClassCount > 0);

        torch.manual_seed(options.Seed);
        using var net = new EdmPrecond(new UNet(config));
        using var ema = new EdmPrecond(new UNet(config));
        net.to(device);
        ema.to(device);
        net.Net.Compute = compute;
        var metadata = new ModelMetadata
        {
            Kind = ModelKind.Teacher,
            Config = config,
            ClassNames = config.ClassCount > 0 ? dataset.ClassNames.ToArray() : [],
            Method = "teacher",
            DataHash = dataset.Hash,
            CropSize = options.Crop,
            DiffusionForm = "ve",
        };
        using var objective = new TeacherObjective(net, ema, new EdmLoss(), options.Ema);
        var trainerOptions = new TrainerOptions
        {
            Iterations = options.Iters,
            BatchSize = options.Batch,
            LearningRate = options.Lr,
            WarmupIterations = options.Warmup ?? Math.Min(1000, options.Iters / 10),
            Seed = options.Seed,
            Shards = options.Shards,
            CheckpointEvery = options.CheckpointEvery,
            LogEvery = options.LogEvery,
            SampleEvery = options.SampleEvery,
        };
        progress.Info($"teacher: {dataset.Images.Count} images, {dataset.ClassNames.Count} classes, {options.Config.ToString().ToLowerInvariant()} network {(options.Shape ?? NetworkShape.None).Describe()} " +
                      $"({net.parameters().Sum(p => p.numel()):N0} parameters), crop {options.Crop}, batch {options.Batch}, convolutions {compute.Name}, {TorchInfo.Describe()}");
        long done = TrainingRuns.Train(run, sync, progress, "train-teacher", trainerOptions, objective, batches, metadata,
            step => SampleGrids.Write(ema, metadata, Sampling.SamplerKind.Heun, 18, 16, options.Crop * 2, options.Seed, run.SampleGridPath(step)),
            cancellation);
        if (done < options.Iters)
        {
            progress.Finish($"stopped at step {done}; continue with --resume");
            return ExitCodes.Cancelled;
        }
        if (sync.IsPrimary) ModelFile.Save(run.ModelPath, ema, metadata with { TrainingIterations = done });
        progress.Finish($"done: {run.ModelPath}");
        return ExitCodes.Ok;
    }
}
