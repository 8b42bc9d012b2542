using ConsistencyModels.Naming;
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
        return TrainingRuns.OnEveryRank(options.Run, progress, (rankProgress, sync) => RunOnRank(options, rankProgress, cancellation, sync));
    }

    private static int RunOnRank(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation, IGradientSynchronizer sync)
    {
        InputChecks.RequireData("--data", options.Data);
        var device = ToolDevice.Resolve(options.Run.Device);
        var dataset = TrainingDataLoader.Load(options.Data);
        int classCount = options.Unconditional || dataset.ClassNames.Count < 2 ? 0 : dataset.ClassNames.Count;
        using var init = options.Init is null ? null : LoadInit(options.Init, dataset.ClassNames, classCount);
        var config = init?.Metadata.Config ?? options.Shape.Apply(Presets.For(options.Config)) with { ClassCount = classCount };
        NetworkLimits.CheckSize("--crop", options.Crop, config, EnumNames.Of(options.Config));
        var compute = options.Compute ?? ConvolutionComputes.TrainingDefault(device.type == DeviceType.CPU);
        MemoryBudget.Check("--crop", options.Crop, options.Run.Batch, config);
        var run = TrainingRuns.Open(options.Run, sync, init is null ? [("--data", options.Data)] : [("--data", options.Data), ("--init", options.Init!)], progress);
        var augmentation = options.Augment ?? init?.Metadata.Augmentation ?? CropAugmentation.Dihedral;
        var batches = new CropBatchSource(dataset, options.Crop, options.Run.Seed, conditional: config.ClassCount > 0, augmentation);
        using var net = new EdmPrecond(new UNet(config));
        using var ema = new EdmPrecond(new UNet(config));
        net.to(device);
        ema.to(device);
        if (init is not null)
        {
            // The EMA weights start both the trained and the averaged network; Adam's moments and the EMA's history
            // restart (a resumed run's checkpoint, if any, replaces both below).
            Ema.Copy(net.Net, init.Net);
            Ema.Copy(ema.Net, init.Net);
        }
        net.Net.Compute = compute;
        var metadata = new ModelMetadata
        {
            Kind = ModelKind.Teacher,
            Config = config,
            ClassNames = config.ClassCount > 0 ? dataset.ClassNames.ToArray() : [],
            Method = TrainingMethod.Teacher,
            DataHash = dataset.Hash,
            CropSize = options.Crop,
            DiffusionForm = Diffusion.DiffusionFormKind.Ve,
            Augmentation = augmentation,
        };
        using var objective = new TeacherObjective(net, ema, new EdmLoss(), options.Ema);
        var trainerOptions = options.Run.ToTrainer(options.Iters, options.Lr, options.Warmup ?? Math.Min(1000, options.Iters / 10));
        long priorIterations = init?.Metadata.TrainingIterations ?? 0;
        if (init is not null)
            progress.Info($"--init {options.Init}: starting from its weights ({priorIterations} iterations; optimizer and EMA restart)");
        string network = init is null ? $"{EnumNames.Of(options.Config)} network {options.Shape.Describe()}" : $"network of {Path.GetFileName(options.Init)}";
        progress.Info($"teacher: {dataset.Images.Count} images, {dataset.ClassNames.Count} classes, {network} " +
                      $"({net.parameters().Sum(p => p.numel()):N0} parameters), crop {options.Crop}, batch {options.Run.Batch}, augmentation {EnumNames.Of(augmentation)}, convolutions {EnumNames.Of(compute)}, {TorchInfo.Describe()}");
        long done = TrainingRuns.Train(run, sync, progress, "train-teacher", trainerOptions, objective, batches, metadata,
            step => SampleGrids.Write(ema, metadata, SamplerKind.Heun, 18, 16, options.Crop * 2, options.Run.Seed, run.SampleGridPath(step)),
            cancellation);
        if (done < options.Iters)
        {
            progress.Finish($"stopped at step {done}; continue with --resume");
            return ExitCodes.Cancelled;
        }
        if (sync.IsPrimary) ModelFile.Save(run.ModelPath, ema, metadata with { TrainingIterations = priorIterations + done });
        progress.Finish($"done: {run.ModelPath}");
        return ExitCodes.Ok;
    }

    /// <summary>Loads the <c>--init</c> teacher and checks that it was trained on the same classes.</summary>
    private static LoadedModel LoadInit(string path, IReadOnlyList<string> classNames, int classCount)
    {
        var model = ModelChecks.LoadTeacher("--init", path);
        try
        {
            int fileClasses = model.Metadata.Config.ClassCount;
            if (fileClasses != classCount)
                throw new CmException($"--init {path}: the model has {fileClasses} classes but --data gives {classCount}{(classCount == 0 ? " (unconditional)" : "")}");
            if (classCount > 0 && !model.Metadata.ClassNames.SequenceEqual(classNames))
            {
                int i = Enumerable.Range(0, classCount).First(k => k >= model.Metadata.ClassNames.Length || model.Metadata.ClassNames[k] != classNames[k]);
                throw new CmException($"--init {path}: class {i} is '{(i < model.Metadata.ClassNames.Length ? model.Metadata.ClassNames[i] : "")}' in the model but '{classNames[i]}' in --data");
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
