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

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm eval</c>: the metrics of DESIGN.md as a table and JSON. Generates --count samples (classes in turn for a
/// conditional model) and compares them with as many real crops (<see cref="EvalCrops"/>: fixed seeds, so every
/// model meets the same real set); --real also scores a second real set (the floor); --teacher adds the ODE error
/// (<see cref="OdeError"/>).
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
        if (options.Teacher is not null)
            InputChecks.RequireFile("--teacher", options.Teacher, "a model trained with cm train-teacher");
        if (options.Json is not null) InputChecks.RequireParentFolder("--json", options.Json);
        if (options.Grid is not null) InputChecks.RequireParentFolder("--grid", options.Grid);

        var total = Stopwatch.StartNew();
        var device = ToolDevice.Resolve(options.Device);
        using var loaded = ModelFile.Load(options.Model, device);
        if (options.Precision == PrecisionKind.BFloat16)
            loaded.Model.to(NetworkPrecisions.ScalarType(NetworkPrecision.BFloat16));
        var metadata = loaded.Metadata;
        var choice = SamplingChoice.Resolve(options.Model, metadata, options.Sampler, options.Steps);
        ModelChecks.Size("--size", options.Size, options.Model, metadata.Config);
        using var teacher = options.Teacher is null ? null : LoadTeacher(options.Teacher, metadata, options.Size, device);
        var dataset = LoadData(options.Data);

        progress.Info($"eval: {options.Model} ({ModelDescription.Of(metadata)}), {choice}, {options.Count} samples of {options.Size}², seed {options.Seed}");
        using var crops = EvalCrops.Draw(dataset, options.Size, options.Count, options.Real);
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
            using var reference = ModelSampler.GenerateBatched(teacher.Model, teacher.Metadata, Sampling.SamplerKind.Heun, OdeError.TeacherSteps,
                options.Count, options.Size, options.Size, labels, options.Seed, SampleCommand.BatchSize, clamp: false,
                progress: Reporter(progress, cancellation));
            progress.Finish();
            odeError = OdeError.Compute(raw, reference);
        }

        progress.Info("computing metrics...");
        var report = MetricsReport.Compute(samples, crops.Reference, crops.Train);
        var floor = crops.Floor is null ? null : MetricsReport.Compute(crops.Floor, crops.Reference, crops.Train);

        if (options.Grid is not null)
        {
            int n = Math.Min(GridSamples, options.Count);
            using var first = samples.narrow(0, 0, n);
            var names = labelIds is null ? null : ClassChoice.Names(metadata);
            SampleCommand.WriteGrid(first, tile: false, names is null ? null : labelIds!.Take(n).Select(i => names[(int)i]).ToArray(), options.Grid);
        }

        var json = ToJson(options, metadata, choice, report, floor, odeError, sampleSeconds, total.Elapsed.TotalSeconds);
        if (options.Json is not null)
            AtomicText.Write(options.Json, json.ToJsonString(JsonOptions) + "\n");
        Table(report, floor, odeError, options.Size).Write(progress);
        string timing = string.Create(CultureInfo.InvariantCulture,
            $"{choice.Nfe} NFE per sample; sampling {sampleSeconds:F2} s ({1000 * sampleSeconds / options.Count:F1} ms per sample), total {total.Elapsed.TotalSeconds:F1} s");
        progress.Info(timing + (options.Json is null ? "" : $"; wrote {options.Json}") + (options.Grid is null ? "" : $"; grid {options.Grid}"));
        return ExitCodes.Ok;
    }

    /// <summary>The JSON result: <see cref="MetricsReport"/>'s keys plus the run's settings and timings.</summary>
    internal static JsonObject ToJson(EvalOptions options, ModelMetadata metadata, SamplingChoice choice, MetricsReport report,
        MetricsReport? floor, double? odeError, double sampleSeconds, double seconds)
    {
        var json = report.ToJsonObject();
        json["swd_level_sizes"] = new JsonArray(Enumerable.Range(0, report.SwdPerLevel.Count).Select(l => (JsonNode)JsonValue.Create(options.Size >> l)).ToArray());
        json["nfe"] = choice.Nfe;
        json["model"] = options.Model;
        json["kind"] = metadata.Kind == ModelKind.Consistency ? "consistency" : "teacher";
        json["method"] = metadata.Method;
        json["sampler"] = choice.Name;
        json["steps"] = choice.Steps;
        json["count"] = options.Count;
        json["size"] = options.Size;
        json["seed"] = options.Seed;
        json["precision"] = CliNames.Of(options.Precision);
        if (choice.Sampler == Sampling.SamplerKind.Stochastic) json["churn"] = options.Churn ?? ModelSampler.DefaultChurn;
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

    private static ResultTable Table(MetricsReport report, MetricsReport? floor, double? odeError, int size)
    {
        var table = floor is null ? new ResultTable("metric", "samples") : new ResultTable("metric", "samples", "real floor");
        void Row(string name, Func<MetricsReport, double> value, string format = "F3") =>
            table.AddRow(floor is null
                ? [name, ResultTable.Number(value(report), format)]
                : [name, ResultTable.Number(value(report), format), ResultTable.Number(value(floor), format)]);
        Row("SWD mean (x1e3)", r => r.SwdMean, "F2");
        for (int l = 0; l < report.SwdPerLevel.Count; l++)
        {
            int level = l;
            Row($"SWD {size >> l} px (x1e3)", r => r.SwdPerLevel[level], "F2");
        }
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
        var teacher = ModelFile.Load(path, device);
        try
        {
            var t = teacher.Metadata;
            if (t.Kind != ModelKind.Teacher)
                throw new CmException($"--teacher {path} is a consistency model; expected a teacher (cm train-teacher) to solve the ODE with");
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
