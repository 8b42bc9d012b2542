using ConsistencyModels.Data;
using ConsistencyModels.Distributed;
using ConsistencyModels.Diffusion;
using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Metrics;
using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Tool.Runs;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;
using LibSampler = ConsistencyModels.Sampling.SamplerKind;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm distill</c>: every distillation method of DESIGN.md, each with its paper's defaults.</summary>
public static class DistillCommand
{
    private const double SamplingEmaRate = 0.999;

    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: the trainer stops after the current step and saves a checkpoint.</param>
    /// <returns>The exit code.</returns>
    public static int Run(DistillOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        using var sync = GradientSynchronizerFactory.Create(options.Distributed);
        return DistributedRunner.RunOrAbort(sync, () => RunOnRank(options, sync.IsPrimary ? progress : new NullProgressReporter(), cancellation, sync));
    }

    private static int RunOnRank(DistillOptions options, IProgressReporter progress, CancellationToken cancellation, IGradientSynchronizer sync)
    {
        if (options.Teacher is not null)
            InputChecks.RequireFile("--teacher", options.Teacher, "a model trained with cm train-teacher");
        if (options.Data is not null) InputChecks.RequireData("--data", options.Data);
        var device = ToolDevice.Resolve(options.Device);

        using var teacher = options.Teacher is null ? null : ModelFile.Load(options.Teacher, device);
        if (teacher is not null && teacher.Kind != ModelKind.Teacher)
            throw new CmException($"--teacher {options.Teacher}: is a {teacher.Kind.ToString().ToLowerInvariant()} model, expected a diffusion teacher from cm train-teacher")
            { ExitCode = ExitCodes.Failure };
        var dataset = options.Data is null ? null : TrainingDataLoader.Load(options.Data);

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
            config = Presets.For(options.Config ?? NetworkPreset.Small) with { ClassCount = classNames.Length };
        }
        int crop = options.Crop ?? (teacher?.Metadata.CropSize > 0 ? teacher.Metadata.CropSize : 32);
        try { config.ValidateImageSize(crop, crop); }
        catch (ArgumentException)
        {
            throw new CmException($"--crop {crop} does not fit the network: expected a multiple of {config.DownsamplingFactor}");
        }
        MemoryBudget.Check("--crop", crop, options.Batch, config, heldImages: options.Method == DistillMethod.Rectified ? 2 * (options.Pairs ?? 0) : 0);
        if (dataset is not null && teacher is not null && config.ClassCount > 0 && dataset.ClassNames.Count != config.ClassCount)
            throw new CmException($"--data {options.Data}: has {dataset.ClassNames.Count} classes, the teacher was trained on {config.ClassCount}; use the teacher's data")
            { ExitCode = ExitCodes.Failure };

        var inputs = new List<(string, string)>();
        if (options.Teacher is not null) inputs.Add(("--teacher", options.Teacher));
        if (options.Data is not null) inputs.Add(("--data", options.Data));
        var run = sync.IsPrimary
            ? RunDirectory.Prepare(options.Out, options.Resume, options.Force, inputs, progress.Info)
            : RunDirectory.Attach(options.Out, options.Resume);
        sync.Barrier(); // rank 0 has checked and created the run folder
        torch.manual_seed(options.Seed);
        var metric = Map(options.Loss);
        bool consistency = options.Method is DistillMethod.Cd or DistillMethod.Ct or DistillMethod.Ict or DistillMethod.DirectCd;
        var baseMetadata = new ModelMetadata
        {
            Kind = consistency ? ModelKind.Consistency : ModelKind.Teacher,
            Config = config,
            ClassNames = classNames,
            Method = CliNames.Of(options.Method),
            DataHash = dataset?.Hash ?? teacher?.Metadata.DataHash ?? "",
            CropSize = crop,
            SigmaMin = teacher?.Metadata.SigmaMin ?? KarrasSchedule.DefaultSigmaMin,
            SigmaMax = teacher?.Metadata.SigmaMax ?? KarrasSchedule.DefaultSigmaMax,
            SigmaData = teacher?.Metadata.SigmaData ?? EdmCoefficients.DefaultSigmaData,
            Rho = teacher?.Metadata.Rho ?? KarrasSchedule.DefaultRho,
            DiffusionForm = options.Form is { } f ? CliNames.Of(f) : teacher?.Metadata.DiffusionForm ?? "ve",
        };
        var grid = KarrasSchedule.Sigmas(options.N, baseMetadata.SigmaMin, baseMetadata.SigmaMax, baseMetadata.Rho, appendZero: false);

        PreconditionedNetwork NewModel()
        {
            var net = new UNet(config);
            PreconditionedNetwork m = consistency
                ? new ConsistencyPrecond(net, baseMetadata.SigmaMin, baseMetadata.SigmaData)
                : new EdmPrecond(net, baseMetadata.SigmaData);
            if (teacher is not null && options.Method is not (DistillMethod.Ct or DistillMethod.Ict))
                Ema.Copy(m.Net, teacher.Net); // students start from the teacher's weights (Song et al. 2023, Sec. 6)
            return m.to(device);
        }

        using var student = NewModel();
        using var second = NewModel();
        using var third = NewModel();
        OdeStep? teacherStep = teacher is null ? null : TeacherSteps.Step(TeacherSteps.Conditioned(teacher.Model), "heun");
        RectifiedPairs? pairs = null;
        ITrainingObjective objective;
        var metadata = baseMetadata;
        double[]? progressiveGrid = null;
        switch (options.Method)
        {
            case DistillMethod.Cd:
                objective = new ConsistencyDistillationObjective(student, second, third, teacherStep!,
                    new ConsistencyDistillationLoss(grid, metric, MapWeighting(options.Weighting), baseMetadata.SigmaData),
                    options.Ema ?? 0.95, SamplingEmaRate);
                break;
            case DistillMethod.DirectCd:
                objective = new DirectConsistencyDistillationObjective(student, third, teacherStep!,
                    new DirectConsistencyDistillationLoss(grid, metric, MapWeighting(options.Weighting), baseMetadata.SigmaData), SamplingEmaRate);
                break;
            case DistillMethod.Ct:
            case DistillMethod.Ict:
                bool improved = options.Method == DistillMethod.Ict;
                objective = new ConsistencyTrainingObjective(student, improved ? null : second, third,
                    new ConsistencyTrainingLoss(metric, inverseGapWeighting: options.Weighting == WeightingKind.InverseStep),
                    improved, options.Iters, options.NStart ?? (improved ? 10 : 2), options.N, options.Ema ?? 0.9, SamplingEmaRate,
                    baseMetadata.SigmaMin, baseMetadata.SigmaMax, baseMetadata.Rho);
                break;
            case DistillMethod.Progressive:
                var roundsDir = run.RoundsDirectory;
                Directory.CreateDirectory(roundsDir);
                var pd = new ProgressiveDistillationObjective(student, second,
                    new ProgressiveDistillationLoss(metric, MapWeighting(options.Weighting), baseMetadata.SigmaData),
                    options.N, options.Rounds ?? 5, options.Iters,
                    (steps, sigmas) =>
                    {
                        ModelFile.Save(Path.Combine(roundsDir, $"steps-{steps}.safetensors"), student, baseMetadata with { SamplingSigmas = sigmas });
                        progress.Info($"round done: {steps}-step student saved to {Path.Combine(roundsDir, $"steps-{steps}.safetensors")}");
                    },
                    baseMetadata.SigmaMin, baseMetadata.SigmaMax, baseMetadata.Rho);
                progressiveGrid = pd.FinalGrid;
                metadata = baseMetadata with { SamplingSigmas = progressiveGrid };
                objective = pd;
                break;
            case DistillMethod.Rectified:
                pairs = LoadOrMakePairs(run, teacher!, options, crop, config.ClassCount, progress, sync.IsPrimary);
                var form = FormOf(options.Form ?? DiffusionFormKind.Flow);
                objective = new RectifiedDiffusionObjective(student, third,
                    new RectifiedDiffusionLoss(u => SigmaOfUniformTime(form, u, baseMetadata.SigmaMax), baseMetadata.SigmaMin, baseMetadata.SigmaMax,
                        metric, MapWeighting(options.Weighting), baseMetadata.SigmaData),
                    pairs, SamplingEmaRate);
                break;
            default:
                throw new CmException($"unknown --method {options.Method}");
        }

        using (objective)
        using (pairs)
        {
            IBatchSource batches = dataset is null
                ? new ConstantBatchSource(crop)
                : new CropBatchSource(dataset, crop, options.Seed, conditional: config.ClassCount > 0);
            var trainerOptions = new TrainerOptions
            {
                Iterations = options.Iters,
                BatchSize = options.Batch,
                LearningRate = options.Lr,
                Seed = options.Seed,
            Shards = options.Shards,
                CheckpointEvery = options.CheckpointEvery,
                LogEvery = options.LogEvery,
                SampleEvery = options.SampleEvery,
            };
            var result = (PreconditionedNetwork)objective.ResultModel;
            var gridSampler = consistency ? LibSampler.Consistency : LibSampler.Euler;
            int gridSteps = consistency ? 1 : Math.Max(1, (progressiveGrid?.Length ?? 2) - 1);
            progress.Info($"{CliNames.Of(options.Method)}: network {config.BaseChannels}×[{string.Join(",", config.ChannelMultipliers)}] " +
                          $"({student.parameters().Sum(p => p.numel()):N0} parameters), crop {crop}, batch {options.Batch}, loss {CliNames.Of(options.Loss)}, " +
                          $"weighting {CliNames.Of(options.Weighting)}, N {options.N}, {TorchInfo.Describe()}");
            long done = TrainingRuns.Train(run, sync, progress, $"distill {CliNames.Of(options.Method)}", trainerOptions, objective, batches, metadata,
                step => SampleGrids.Write(result, metadata, gridSampler, gridSteps, 16, crop * 2, options.Seed, run.SampleGridPath(step)),
                cancellation);
            if (done < options.Iters)
            {
                progress.Finish($"stopped at step {done}; continue with --resume");
                return ExitCodes.Cancelled;
            }
            metadata = metadata with { TrainingIterations = done };
            if (!sync.IsPrimary) return ExitCodes.Ok;
            if (consistency && dataset is not null)
            {
                var tau = TwoStepTau(result, metadata, dataset, crop, options.Seed, progress);
                metadata = metadata with { MultistepTaus = new[] { tau } };
            }
            ModelFile.Save(run.ModelPath, result, metadata);
            progress.Finish($"done: {run.ModelPath}");
            return ExitCodes.Ok;
        }
    }

    /// <summary>
    /// The 2-step τ: a ternary search over the interior indices of a 40-point Karras grid (as the reference code
    /// did), scoring 2-step samples by SWD against a fixed set of real crops with fixed noise.
    /// </summary>
    internal static double TwoStepTau(PreconditionedNetwork model, ModelMetadata metadata, TextureDataset dataset, int crop, long seed, IProgressReporter progress)
    {
        const int count = 64;
        var real = new CropSampler(dataset, crop, seed ^ 0x7EA1, allowTiledCrops: true).Sample(count);
        using var realImages = real.Images;
        using var realLabels = real.Labels;
        Tensor? labels = metadata.Config.ClassCount > 0 ? realLabels : null;
        var swd = new SwdOptions { PatchesPerImage = 64, Directions = 256 };
        var result = MultistepTauSearch.FindTwoStepTau(tau =>
        {
            using var scope = NewDisposeScope();
            var m = metadata with { MultistepTaus = new[] { tau } };
            var samples = Sampling.ModelSampler.Generate(model, m, LibSampler.Consistency, 2, count, crop, crop, labels, seed);
            return SlicedWasserstein.Compute(samples.cpu(), realImages, swd).PerSet.Mean; // the per-set SWD, as when v1 was made
        }, 40, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho);
        progress.Info($"2-step τ search: index {result.Index} of 40, τ = {result.Tau:G4} (SWD {result.Metric:F2}, {result.Evaluations} evaluations)");
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
        int count = options.Pairs ?? 10_000;
        var sigmas = KarrasSchedule.Sigmas(18, teacher.Metadata.SigmaMin, teacher.Metadata.SigmaMax, teacher.Metadata.Rho, appendZero: true);
        progress.Info($"rectified: making {count} noise–sample pairs with the teacher (Heun, 18 steps = 35 NFE each)");
        progress.Start("pairs", count);
        var pairs = RectifiedPairs.Generate(labels => teacher.AsDenoiser(labels), count, crop, classCount, sigmas, options.Seed ^ 0x9A1B5,
            progress: n => progress.Report(n));
        progress.Finish();
        var tensors = new Dictionary<string, Tensor> { ["samples"] = pairs.Samples, ["noise"] = pairs.Noise };
        if (pairs.Labels is not null) tensors["labels"] = pairs.Labels;
        if (write) Safetensors.Save(path, tensors); // every rank makes the same pairs (same seed); rank 0 keeps them
        return pairs;
    }

    private static IDiffusionForm FormOf(DiffusionFormKind kind) => kind switch
    {
        DiffusionFormKind.Vp => new VpForm(),
        DiffusionFormKind.Ve => new VeForm(),
        _ => new FlowMatchingForm(),
    };

    /// <summary>σ(t) for t uniform in (0, 1) mapped onto the form's time range (VE's open range is capped at σmax).</summary>
    internal static double SigmaOfUniformTime(IDiffusionForm form, double u, double sigmaMax)
    {
        double hi = double.IsFinite(form.TimeMax) ? form.TimeMax : form.TimeForEdmSigma(sigmaMax);
        double t = form.TimeMin + u * (hi - form.TimeMin);
        return form.EdmSigma(t);
    }

    private static DistanceMetricKind Map(DistanceKind kind) => kind switch
    {
        DistanceKind.L1 => DistanceMetricKind.L1,
        DistanceKind.PseudoHuber => DistanceMetricKind.PseudoHuber,
        _ => DistanceMetricKind.L2,
    };

    private static LossWeightingKind MapWeighting(WeightingKind kind) => kind switch
    {
        WeightingKind.Snr => LossWeightingKind.Snr,
        WeightingKind.SnrPlusOne => LossWeightingKind.SnrPlusOne,
        WeightingKind.Karras => LossWeightingKind.Karras,
        WeightingKind.TruncatedSnr => LossWeightingKind.TruncatedSnr,
        _ => LossWeightingKind.Uniform,
    };

    /// <summary>For methods that draw their own inputs (rectified): a placeholder batch of the right size.</summary>
    private sealed class ConstantBatchSource(int crop) : IBatchSource
    {
        public int ClassCount => 0;

        public (Tensor Images, Tensor? Labels) GetBatch(long step, int rank, int batchSize) => (zeros(batchSize, 3, crop, crop), null);
    }
}
