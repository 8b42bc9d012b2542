using ConsistencyModels.Data;
using ConsistencyModels.Sampling;
using ConsistencyModels.Distributed;
using ConsistencyModels.Diffusion;
using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Metrics;
using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Tool.Distill;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Tool.Runs;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;
using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm distill</c>: runs one method of the method table (<see cref="DistillMethods"/>), which holds every
/// method's defaults, needs and objective; this class only loads inputs, builds the networks and saves the result.</summary>
public static class DistillCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: the trainer stops after the current step and saves a checkpoint.</param>
    /// <returns>The exit code.</returns>
    public static int Run(DistillOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        return TrainingRuns.OnEveryRank(options.Run, progress, (rankProgress, sync) => RunOnRank(options, rankProgress, cancellation, sync));
    }

    private static int RunOnRank(DistillOptions options, IProgressReporter progress, CancellationToken cancellation, IGradientSynchronizer sync)
    {
        var method = DistillMethods.Of(options.Method);
        var settings = options.Run;
        if (options.Data is not null) InputChecks.RequireData("--data", options.Data);
        var device = ToolDevice.Resolve(settings.Device);

        using var teacher = options.Teacher is null ? null : ModelChecks.LoadTeacher("--teacher", options.Teacher, device);
        var dataset = options.Data is null ? null : TrainingDataLoader.Load(options.Data);
        using var init = options.Init is null ? null : LoadInit(options.Init, teacher!, device);

        UNetConfig config;
        string[] classNames;
        if (teacher is not null)
        {
            config = teacher.Metadata.Config;
            classNames = teacher.Metadata.ClassNames;
        }
        else
        {
            classNames = dataset!.ClassNames.Count > 1 ? dataset.ClassNames.ToArray() : [];
            config = Presets.For(options.Config ?? throw new InvalidOperationException($"{method.Name}: no --config bound"))
                with { ClassCount = classNames.Length };
        }
        int crop = options.Crop ?? (teacher is { Metadata.CropSize: > 0 } ? teacher.Metadata.CropSize
            : throw new CmException($"--teacher {options.Teacher}: records no crop size; give --crop"));
        try { config.ValidateImageSize(crop, crop); }
        catch (ArgumentException)
        {
            throw new CmException($"--crop {crop} does not fit the network: expected a multiple of {config.DownsamplingFactor}");
        }
        MemoryBudget.Check("--crop", crop, settings.Batch, config, heldImages: options.Pairs is int pairCount ? 2 * pairCount : 0);
        if (dataset is not null && teacher is not null && config.ClassCount > 0 && dataset.ClassNames.Count != config.ClassCount)
            throw new CmException($"--data {options.Data}: has {dataset.ClassNames.Count} classes, the teacher was trained on {config.ClassCount}; use the teacher's data")
            { ExitCode = ExitCodes.Failure };

        var inputs = new List<(string, string)>();
        if (options.Teacher is not null) inputs.Add(("--teacher", options.Teacher));
        if (options.Data is not null) inputs.Add(("--data", options.Data));
        if (options.Init is not null) inputs.Add(("--init", options.Init));
        var run = TrainingRuns.Open(settings, sync, inputs, progress);
        bool consistency = method.Result == ModelKind.Consistency;
        var augmentation = options.Augment ?? teacher?.Metadata.Augmentation ?? CropAugmentation.Dihedral;
        var baseMetadata = new ModelMetadata
        {
            Kind = method.Result,
            Sampling = method.Sampling,
            Config = config,
            ClassNames = classNames,
            Method = method.Method,
            DataHash = dataset?.Hash ?? teacher?.Metadata.DataHash ?? "",
            CropSize = crop,
            SigmaMin = teacher?.Metadata.SigmaMin ?? KarrasSchedule.DefaultSigmaMin,
            SigmaMax = teacher?.Metadata.SigmaMax ?? KarrasSchedule.DefaultSigmaMax,
            SigmaData = teacher?.Metadata.SigmaData ?? EdmCoefficients.DefaultSigmaData,
            Rho = teacher?.Metadata.Rho ?? KarrasSchedule.DefaultRho,
            DiffusionForm = options.Form ?? teacher?.Metadata.DiffusionForm ?? DiffusionFormKind.Ve,
            Augmentation = augmentation,
        };

        PreconditionedNetwork NewModel()
        {
            var net = new UNet(config);
            PreconditionedNetwork m = consistency
                ? new ConsistencyPrecond(net, baseMetadata.SigmaMin, baseMetadata.SigmaData)
                : new EdmPrecond(net, baseMetadata.SigmaData);
            // Students start from the teacher's weights (Song et al. 2023, Sec. 6), or from an earlier student (--init).
            if ((init ?? teacher) is { } start)
                Ema.Copy(m.Net, start.Net);
            net.Compute = options.Compute;
            return m.to(device);
        }

        using var student = NewModel();
        using var second = NewModel();
        using var third = NewModel();
        if (teacher is not null) teacher.Net.Compute = options.Compute;
        if (init is not null)
            progress.Info($"--init {options.Init}: the student starts from its weights ({init.Metadata.TrainingIterations} iterations; optimizer and EMAs restart)");
        OdeStep? teacherStep = teacher is null ? null : TeacherSteps.Step(TeacherSteps.Conditioned(teacher.Model), "heun");
        using var pairs = method.Takes(MethodOption.Pairs) ? LoadOrMakePairs(run, teacher!, options, crop, config.ClassCount, progress, sync.IsPrimary) : null;
        var roundsDir = run.RoundsDirectory;
        void OnRoundFinished(int steps, double[] sigmas)
        {
            Directory.CreateDirectory(roundsDir);
            string path = Path.Combine(roundsDir, $"steps-{steps}.safetensors");
            ModelFile.Save(path, student, baseMetadata with { SamplingSigmas = sigmas });
            progress.Info($"round done: {steps}-step student saved to {path}");
        }
        var made = method.Objective(new ObjectiveInputs(options, baseMetadata, student, second, third, teacherStep, pairs, OnRoundFinished));
        var metadata = made.SamplingSigmas is { } grid ? baseMetadata with { SamplingSigmas = grid } : baseMetadata;

        using var objective = made.Objective;
        IBatchSource batches = dataset is null
            ? new ConstantBatchSource(crop)
            : new CropBatchSource(dataset, crop, settings.Seed, conditional: config.ClassCount > 0, augmentation);
        var trainerOptions = settings.ToTrainer(options.Iters, options.Lr);
        var result = (PreconditionedNetwork)objective.ResultModel;
        var gridSampler = SamplingPlan.DefaultSampler(metadata);
        int gridSteps = SamplingPlan.DefaultSteps(metadata, gridSampler);
        progress.Info($"{method.Name}: network {config.BaseChannels}×[{string.Join(",", config.ChannelMultipliers)}] " +
                      $"({student.parameters().Sum(p => p.numel()):N0} parameters), crop {crop}, batch {settings.Batch}, loss {EnumNames.Of(options.Loss)}, " +
                      $"weighting {EnumNames.Of(options.Weighting)}, N {options.N}, augmentation {EnumNames.Of(augmentation)}, convolutions {EnumNames.Of(options.Compute)}, {TorchInfo.Describe()}");
        long done = TrainingRuns.Train(run, sync, progress, $"distill {method.Name}", trainerOptions, objective, batches, metadata,
            step => SampleGrids.Write(result, metadata, gridSampler, gridSteps, 16, crop * 2, settings.Seed, run.SampleGridPath(step)),
            cancellation);
        if (done < options.Iters)
        {
            progress.Finish($"stopped at step {done}; continue with --resume");
            return ExitCodes.Cancelled;
        }
        metadata = metadata with { TrainingIterations = (init?.Metadata.TrainingIterations ?? 0) + done };
        if (!sync.IsPrimary) return ExitCodes.Ok;
        result.Net.Compute = ConvolutionCompute.Float32; // the saved model is scored (τ search) and used in float32
        if (TwoStepSigmaIsSearched(metadata))
        {
            // The real images: crops of the data, or (rectified, which reads none) the teacher's samples it retrained on.
            var (real, realLabels) = dataset is not null
                ? RealCrops(dataset, crop, settings.Seed, augmentation)
                : (pairs!.Samples.narrow(0, 0, Math.Min(TauSearchImages, pairs.Count)).cpu(),
                   pairs.Labels?.narrow(0, 0, Math.Min(TauSearchImages, pairs.Count)).cpu());
            double tau;
            using (real)
            using (realLabels)
                tau = TwoStepTau(result, metadata, real, config.ClassCount > 0 ? realLabels : null, settings.Seed, progress);
            metadata = metadata with { MultistepTaus = [tau] };
        }
        ModelFile.Save(run.ModelPath, result, metadata);
        progress.Finish($"done: {run.ModelPath}");
        return ExitCodes.Ok;
    }

    private const int TauSearchImages = 64;

    /// <summary>Loads the <c>--init</c> student and checks that it has the teacher's network and classes.</summary>
    private static LoadedModel LoadInit(string path, LoadedModel teacher, Device device)
    {
        var model = ModelChecks.LoadOfKind("--init", path, ModelKind.Consistency, "a consistency model made by cm distill",
            "a consistency model from cm distill (a student to continue)", device);
        if (model.Metadata.Config.Equals(teacher.Metadata.Config) && model.Metadata.ClassNames.SequenceEqual(teacher.Metadata.ClassNames))
            return model;
        string what = model.Metadata.Config.Equals(teacher.Metadata.Config) ? "classes differ" : "network differs";
        model.Dispose();
        throw new CmException($"--init {path}: its {what} from the teacher's; the student copies the teacher's network and classes");
    }

    /// <summary>Whether the 2-step plan's middle σ is searched after training: consistency models (τ) and few-step
    /// denoisers without a 2-step grid of their own (σ₁ of 2-step Euler).</summary>
    internal static bool TwoStepSigmaIsSearched(ModelMetadata metadata) => metadata.Sampling switch
    {
        SamplingKind.Consistency => true,
        SamplingKind.FewStep => metadata.SamplingSigmas.Length != 3,
        SamplingKind.Ode => false,
        _ => throw new ArgumentOutOfRangeException(nameof(metadata), metadata.Sampling, "unknown sampling kind"),
    };

    private static (Tensor Images, Tensor? Labels) RealCrops(TextureDataset dataset, int crop, long seed, CropAugmentation augmentation)
    {
        var real = new CropSampler(dataset, crop, seed ^ 0x7EA1, allowTiledCrops: true, augmentation: augmentation).Sample(TauSearchImages);
        return (real.Images, real.Labels);
    }

    /// <summary>
    /// The 2-step σ (consistency τ, or σ₁ of a few-step denoiser's 2-step Euler plan): a ternary search over the interior
    /// indices of the 40-point Karras grid (as the reference code did), scoring 2-step samples of the model's
    /// <see cref="SamplingPlan"/> by SWD against fixed real images with fixed noise.
    /// </summary>
    internal static double TwoStepTau(PreconditionedNetwork model, ModelMetadata metadata, Tensor realImages, Tensor? labels, long seed,
        IProgressReporter progress)
    {
        int count = (int)realImages.shape[0];
        int crop = (int)realImages.shape[^1];
        var swd = new SwdOptions { PatchesPerImage = 64, Directions = 256 };
        var sampler = SamplingPlan.DefaultSampler(metadata);
        var result = MultistepTauSearch.FindTwoStepTau(tau =>
        {
            using var scope = NewDisposeScope();
            var m = metadata with { MultistepTaus = [tau] };
            var samples = ModelSampler.Generate(model, m, sampler, 2, count, crop, crop, labels, seed);
            return SlicedWasserstein.Compute(samples.cpu(), realImages, swd).PerSet.Mean; // the per-set SWD, as when v1 was made
        }, SamplingPlan.TauGridPoints, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho);
        progress.Info($"2-step σ search ({EnumNames.Of(sampler)}): index {result.Index} of {SamplingPlan.TauGridPoints}, σ = {result.Tau:G4} "
            + $"(SWD {result.Metric:F2}, {result.Evaluations} evaluations)");
        return result.Tau;
    }

    private static RectifiedPairs LoadOrMakePairs(RunDirectory run, LoadedModel teacher, DistillOptions options, int crop, int classCount, IProgressReporter progress, bool write)
    {
        string path = run.PairsPath;
        if (File.Exists(path))
        {
            using var content = Safetensors.Load(path);
            var t = content.Tensors;
            progress.Info($"rectified: reusing {t["samples"].shape[0]} noise–sample pairs from {path}");
            return new RectifiedPairs(t["samples"].clone(), t["noise"].clone(), t.TryGetValue("labels", out var l) ? l.clone() : null);
        }
        int count = options.Pairs ?? throw new InvalidOperationException("no --pairs bound");
        var sigmas = KarrasSchedule.Sigmas(options.N, teacher.Metadata.SigmaMin, teacher.Metadata.SigmaMax, teacher.Metadata.Rho, appendZero: true);
        progress.Info($"rectified: making {count} noise–sample pairs with the teacher (Heun, {options.N} steps = {SamplingPlan.Nfe(SamplerKind.Heun, options.N)} NFE each)");
        progress.Start("pairs", count);
        var pairs = RectifiedPairs.Generate(labels => teacher.AsDenoiser(labels), count, crop, classCount, sigmas, options.Run.Seed ^ 0x9A1B5,
            progress: n => progress.Report(n));
        progress.Finish();
        var tensors = new Dictionary<string, Tensor> { ["samples"] = pairs.Samples, ["noise"] = pairs.Noise };
        if (pairs.Labels is not null) tensors["labels"] = pairs.Labels;
        if (write) Safetensors.Save(path, tensors); // every rank makes the same pairs (same seed); rank 0 keeps them
        return pairs;
    }

    /// <summary>For methods that draw their own inputs (rectified): a placeholder batch of the right size.</summary>
    private sealed class ConstantBatchSource(int crop) : IBatchSource
    {
        public int ClassCount => 0;

        public (Tensor Images, Tensor? Labels) GetBatch(long step, int rank, int batchSize) => (zeros(batchSize, 3, crop, crop), null);
    }
}
