using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Metrics;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using TorchSharp;
using static TorchSharp.torch;
using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm eval</c>: the metrics of DESIGN.md as a table and JSON. Generates --count samples (classes in turn for a
/// conditional model) and compares them with as many real crops (<see cref="EvalCrops"/>: fixed seeds, so every
/// model meets the same real set); --real also scores a second real set (the floor); --teacher adds the ODE error
/// (<see cref="OdeError"/>); --classifier adds the structure class test (<see cref="StructureClassTest"/>) and --pictures
/// the per-class pictures (<see cref="ClassPictures"/>).
/// </summary>
public static class EvalCommand
{
    /// <summary>Samples in the --grid picture.</summary>
    public const int GridSamples = 64;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output (the table goes through <see cref="IProgressReporter.Info"/>).</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(EvalOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        InputChecks.RequireData("--data", options.Data);
        if (options.Json is not null) InputChecks.RequireParentFolder("--json", options.Json);
        if (options.Grid is not null) InputChecks.RequireParentFolder("--grid", options.Grid);
        if (options.Pictures is not null) InputChecks.RequireParentFolder("--pictures", options.Pictures);

        var total = Stopwatch.StartNew();
        var device = ToolDevice.Resolve(options.Device);
        using var loaded = ModelFile.Load(options.Model, device);
        if (options.Precision == NetworkPrecision.BFloat16)
            loaded.Model.to(NetworkPrecisions.ScalarType(NetworkPrecision.BFloat16));
        var metadata = loaded.Metadata;
        var choice = SamplingChoice.Resolve(options.Model, metadata, options.Sampler, options.Steps);
        ModelChecks.Size("--size", options.Size, options.Model, metadata.Config);
        // Held at once: raw and clamped samples, the reference and training crops (and the floor set, the teacher's).
        MemoryBudget.Check("--size", options.Size, Math.Min(options.Count, SampleCommand.BatchSize), metadata.Config,
            heldImages: options.Count * (4 + (options.Real ? 1 : 0) + (options.Teacher is null ? 0 : 1)));
        using var teacher = options.Teacher is null ? null : LoadTeacher(options.Teacher, metadata, options.Size, device);
        using var structure = options.Classifier is null ? null : StructureClassTest.Load(options.Classifier, metadata, options.Model, options.Size, device);
        if (options.Pictures is not null && metadata.Config.ClassCount == 0)
            throw new CmException($"--pictures: {options.Model} is unconditional; the per-class pictures need a class-conditional model") { ExitCode = ExitCodes.Failure };
        var dataset = LoadData(options.Data);

        progress.Info($"eval: {options.Model} ({ModelDescription.Of(metadata)}), {choice}, {options.Count} samples of {options.Size}², seed {options.Seed}");
        // Class-balanced real sets when the model's classes are the data's (same names, same order), as the samples are.
        // --uniform-real: as before 2026-12-01.
        bool balanced = !options.UniformReal && metadata.Config.ClassCount > 1 && ClassChoice.Names(metadata).SequenceEqual(dataset.ClassNames);
        using var crops = EvalCrops.Draw(dataset, options.Size, options.Count, options.Real, balanced, metadata.Augmentation);
        if (crops.Tiled)
            progress.Info($"note: --size {options.Size} exceeds the smallest image ({dataset.MinSide} px): real crops repeat their tile");
        var labelIds = ClassChoice.Labels(metadata, options.Model, null, options.Count);
        using var labels = labelIds is null ? null : torch.tensor(labelIds);

        progress.Start("eval samples", options.Count);
        var clock = Stopwatch.StartNew();
        using var raw = ModelSampler.GenerateBatched(loaded.Model, metadata, choice.Sampler, choice.Steps, options.Count,
            options.Size, options.Size, labels, options.Seed, SampleCommand.BatchSize, clamp: false, progress: Reporter(progress, cancellation),
            churn: options.Churn ?? ModelSampler.DefaultChurn);
        double sampleSeconds = clock.Elapsed.TotalSeconds;
        progress.Finish();
        using var samples = raw.Clamp(-1, 1);

        double? odeError = null;
        if (teacher is not null)
        {
            progress.Start($"teacher heun {OdeError.TeacherSteps} steps", options.Count);
            using var reference = ModelSampler.GenerateBatched(teacher.Model, teacher.Metadata, SamplerKind.Heun, OdeError.TeacherSteps,
                options.Count, options.Size, options.Size, labels, options.Seed, SampleCommand.BatchSize, clamp: false,
                progress: Reporter(progress, cancellation));
            progress.Finish();
            odeError = OdeError.Compute(raw, reference);
        }

        progress.Info("computing metrics...");
        var report = MetricsReport.Compute(samples, crops.Reference, crops.Train);
        var floor = crops.Floor is null ? null : MetricsReport.Compute(crops.Floor, crops.Reference, crops.Train);
        JsonObject? structureJson = null;
        ResultTable? structureTable = null;
        if (structure is not null)
        {
            progress.Info("structure class test...");
            var sampleScore = structure.ScoreSamples(samples, labelIds!);
            var realScore = structure.ScoreReal(crops.Reference, crops.ReferenceLabels, dataset);
            structureJson = structure.ToJson(sampleScore, realScore, options.Size);
            structureTable = structure.Table(sampleScore, realScore);
        }
        var pictures = options.Pictures is null ? default : ClassPictures.Write(options.Pictures, samples, labelIds!, ClassChoice.Names(metadata), dataset);

        if (options.Grid is not null)
        {
            int n = Math.Min(GridSamples, options.Count);
            using var first = samples.narrow(0, 0, n);
            var names = labelIds is null ? null : ClassChoice.Names(metadata);
            SampleCommand.WriteGrid(first, tile: false, names is null ? null : labelIds!.Take(n).Select(i => names[(int)i]).ToArray(), options.Grid);
        }

        var json = ToJson(options, metadata, choice, report, floor, odeError, sampleSeconds, total.Elapsed.TotalSeconds);
        json["real_crops"] = balanced ? "class-balanced: crop i shows class i mod K, as the samples" : "images drawn uniformly";
        if (structureJson is not null) json["structure_class"] = structureJson;
        if (options.Json is not null)
            AtomicText.Write(options.Json, json.ToJsonString(JsonOptions) + "\n");
        SwdTable(report, floor, options.Size).Write(progress);
        Table(report, floor, odeError).Write(progress);
        structureTable?.Write(progress);
        string timing = string.Create(CultureInfo.InvariantCulture,
            $"{choice.Nfe} NFE per sample; sampling {sampleSeconds:F2} s ({1000 * sampleSeconds / options.Count:F1} ms per sample), total {total.Elapsed.TotalSeconds:F1} s");
        progress.Info(timing + (options.Json is null ? "" : $"; wrote {options.Json}") + (options.Grid is null ? "" : $"; grid {options.Grid}")
            + (options.Pictures is null ? "" : $"; pictures {string.Join(", ", pictures.Files)} ({pictures.Classes} classes)"));
        return ExitCodes.Ok;
    }

    /// <summary>The JSON result: <see cref="MetricsReport"/>'s keys plus the run's settings and timings.</summary>
    internal static JsonObject ToJson(EvalOptions options, ModelMetadata metadata, SamplingChoice choice, MetricsReport report,
        MetricsReport? floor, double? odeError, double sampleSeconds, double seconds)
    {
        var json = report.ToJsonObject();
        json["swd_level_sizes"] = new JsonArray(Enumerable.Range(0, report.SwdPerLevel.Count).Select(l => (JsonNode)JsonValue.Create(options.Size >> l)).ToArray());
        json["swd_normalization"] = "swd_real_*: both sets normalized by the real set's per-band mean and std; swd_mean, swd_per_level, swd_coarse: each set by its own (older tables)";
        json["nfe"] = choice.Nfe;
        json["model"] = options.Model;
        json["kind"] = EnumNames.Of(metadata.Kind);
        json["method"] = EnumNames.Of(metadata.Method);
        json["sampler"] = choice.Name;
        json["steps"] = choice.Steps;
        json["count"] = options.Count;
        json["size"] = options.Size;
        json["seed"] = options.Seed;
        json["precision"] = EnumNames.Of(options.Precision);
        if (choice.Sampler == SamplerKind.Stochastic) json["churn"] = options.Churn ?? ModelSampler.DefaultChurn;
        json["data"] = options.Data;
        if (odeError is double e)
        {
            json["ode_error"] = Finite(e);
            json["ode_error_teacher"] = options.Teacher;
            json["ode_error_reference"] = $"teacher heun {OdeError.TeacherSteps} steps ({OdeError.TeacherNfe} NFE) from the same x_T";
            json["ode_error_unit"] = "mean over samples of the RMS difference per pixel value, images in [-1, 1]";
        }
        if (floor is not null)
            json["real_floor"] = floor.ToJsonObject();
        json["sample_seconds"] = sampleSeconds;
        json["ms_per_sample"] = 1000 * sampleSeconds / options.Count;
        json["seconds"] = seconds;
        return json;
    }

    private static JsonNode? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The SWD table: one row per pyramid level (the coarsest marked) and the mean; columns real-normalized and per-set
    /// (the SWD of older tables), for the samples and, with --real, the floor.
    /// </summary>
    internal static ResultTable SwdTable(MetricsReport report, MetricsReport? floor, int size)
    {
        var table = floor is null
            ? new ResultTable("SWD (x1e3)", "real-normalized", "per-set")
            : new ResultTable("SWD (x1e3)", "real-normalized", "per-set", "floor real-norm.", "floor per-set");
        void Row(string name, Func<MetricsReport, double> real, Func<MetricsReport, double> perSet) =>
            table.AddRow(floor is null
                ? [name, ResultTable.Number(real(report), "F2"), ResultTable.Number(perSet(report), "F2")]
                : [name, ResultTable.Number(real(report), "F2"), ResultTable.Number(perSet(report), "F2"),
                   ResultTable.Number(real(floor), "F2"), ResultTable.Number(perSet(floor), "F2")]);
        Row("mean", r => r.SwdRealMean, r => r.SwdMean);
        int levels = report.SwdPerLevel.Count;
        for (int l = 0; l < levels; l++)
        {
            int level = l;
            Row(l == levels - 1 ? $"{size >> l} px (coarse)" : $"{size >> l} px", r => r.SwdRealPerLevel[level], r => r.SwdPerLevel[level]);
        }
        return table;
    }

    private static ResultTable Table(MetricsReport report, MetricsReport? floor, double? odeError)
    {
        var table = floor is null ? new ResultTable("metric", "samples") : new ResultTable("metric", "samples", "real floor");
        void Row(string name, Func<MetricsReport, double> value, string format = "F3") =>
            table.AddRow(floor is null
                ? [name, ResultTable.Number(value(report), format)]
                : [name, ResultTable.Number(value(report), format), ResultTable.Number(value(floor), format)]);
        Row("spectrum distance (decades)", r => r.SpectrumDistance);
        Row("seam error (1 = seamless)", r => r.SeamError);
        Row("diversity (vs real)", r => r.Diversity);
        Row("nearest crop (vs real)", r => r.NearestCrop);
        if (odeError is double e)
            table.AddRow($"ODE error (RMS vs teacher heun {OdeError.TeacherNfe} NFE)", ResultTable.Number(e, "F4"));
        return table;
    }

    private static LoadedModel LoadTeacher(string path, ModelMetadata student, int size, Device device)
    {
        var teacher = ModelChecks.LoadTeacher("--teacher", path, device);
        try
        {
            var t = teacher.Metadata;
            if (t.SigmaMax != student.SigmaMax)
                throw new CmException(string.Create(CultureInfo.InvariantCulture,
                    $"--teacher {path} starts from sigma_max {t.SigmaMax} but the model from {student.SigmaMax}: the ODE error needs the same x_T"));
            if (t.Config.ClassCount != student.Config.ClassCount
                || (t.ClassNames.Length > 0 && student.ClassNames.Length > 0 && !t.ClassNames.SequenceEqual(student.ClassNames)))
                throw new CmException($"--teacher {path} has other classes ({t.Config.ClassCount}) than the model ({student.Config.ClassCount}): expected the teacher the model was distilled from");
            ModelChecks.Size("--size", size, path, t.Config);
            return teacher;
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
    }

    private static TextureDataset LoadData(string path)
    {
        try
        {
            return TrainingDataLoader.Load(path);
        }
        catch (DataException e)
        {
            throw new CmException($"--data {path}: {e.Message}", e) { ExitCode = ExitCodes.Failure };
        }
    }

    private static Action<int> Reporter(IProgressReporter progress, CancellationToken cancellation) => done =>
    {
        cancellation.ThrowIfCancellationRequested();
        progress.Report(done);
    };
}
