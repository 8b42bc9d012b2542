using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using TorchSharp;
using static TorchSharp.torch;
using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm bench</c>: times the network the way the runtime uses it. Generation: per frame, draw the noise
/// (<c>noise</c>), run the --steps network evaluations of the sampler (<c>forward</c>: consistency sampling for a
/// consistency model or a random-weight --config network, Euler for a teacher), then clamp and copy the result into a
/// managed float buffer (<c>copy</c>); eval mode, no grad, after --warmup untimed frames. With --train: one EDM training
/// iteration per frame (random batch, forward + loss, backward, Adam step). Prints a Markdown table for docs/RESULTS.md.
/// </summary>
public static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output (results through <see cref="IProgressReporter.Info"/>).</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(BenchOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (options.Model is not null) InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        if (options.Json is not null) InputChecks.RequireParentFolder("--json", options.Json);
        if (options.Threads is int threads) torch.set_num_threads(threads);
        var device = ToolDevice.Resolve(options.Device);

        using var loaded = options.Model is null ? null : ModelFile.Load(options.Model, device);
        var metadata = loaded?.Metadata ?? new ModelMetadata
        {
            Kind = ModelKind.Consistency,
            Config = Presets.For(options.Config ?? NetworkPreset.Small),
        };
        string name = options.Model ?? EnumNames.Of(options.Config ?? NetworkPreset.Small);
        ModelChecks.Size("--size", options.Size, name, metadata.Config);
        MemoryBudget.Check("--size", options.Size, options.Batch, metadata.Config);
        string what = loaded is null ? $"--config {name} (random weights)" : $"{name} ({ModelDescription.Of(metadata)})";
        long parameters;
        BenchResult result;
        if (options.Train)
        {
            // Weights do not change the speed: train a fresh network of the same architecture.
            torch.manual_seed(0);
            using var net = new EdmPrecond(new UNet(metadata.Config), metadata.SigmaData);
            net.to(device);
            net.Net.Compute = options.Compute;
            parameters = net.Net.ParameterCount;
            progress.Info($"bench --train: {what}, {parameters:N0} parameters, batch {options.Batch} of {options.Size}² crops, convolutions {EnumNames.Of(options.Compute)}, {TorchInfo.Describe()}");
            result = TimeTraining(net, metadata, options, device, progress, cancellation);
        }
        else
        {
            using var random = loaded is null ? RandomModel(metadata, device) : null;
            var model = loaded?.Model ?? random!;
            parameters = model.Net.ParameterCount;
            progress.Info($"bench: {what}, {parameters:N0} parameters, {options.Size}², batch {options.Batch}, {options.Steps} step(s), {TorchInfo.Describe()}");
            result = TimeGeneration(model, metadata, options, device, progress, cancellation);
        }

        var table = Table(options, name, result);
        table.Write(progress);
        progress.Info($"command: {CommandLine(options)}");
        progress.Info($"peak resident memory: {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        if (options.Json is not null)
        {
            AtomicText.Write(options.Json, ToJson(options, name, parameters, result).ToJsonString(JsonOptions) + "\n");
            progress.Info($"wrote {options.Json}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Timings of one benchmark: per-frame statistics and the median of each stage.</summary>
    /// <param name="Frame">Milliseconds per frame.</param>
    /// <param name="Stages">Median milliseconds of each stage, in order.</param>
    /// <param name="ItemsPerFrame">Textures (or training crops) per frame.</param>
    internal sealed record BenchResult(BenchTimings Frame, IReadOnlyList<(string Name, double Median)> Stages, int ItemsPerFrame)
    {
        /// <summary>Items per second from the mean frame time.</summary>
        public double ItemsPerSecond => ItemsPerFrame * 1000.0 / Frame.Mean;

        /// <summary>Frames (iterations) per second from the mean frame time.</summary>
        public double FramesPerSecond => 1000.0 / Frame.Mean;
    }

    private static PreconditionedNetwork RandomModel(ModelMetadata metadata, Device device)
    {
        torch.manual_seed(0);
        var model = ModelFile.CreateModel(metadata);
        model.to(device);
        model.eval();
        return model;
    }

    private static BenchResult TimeGeneration(PreconditionedNetwork model, ModelMetadata metadata, BenchOptions options,
        Device device, IProgressReporter progress, CancellationToken cancellation)
    {
        // One network evaluation per step: consistency sampling for consistency models, Euler for any denoiser
        // (a few-step denoiser's own plan; a teacher's Karras grid), on the noise levels of the sampling plan.
        bool consistency = SamplingPlan.Fits(metadata, SamplerKind.Consistency);
        var taus = consistency ? SamplingPlan.ConsistencyTaus(metadata, options.Steps) : [];
        var grid = consistency ? [] : SamplingPlan.OdeGrid(metadata, options.Steps);
        var shape = new long[] { options.Batch, 3, options.Size, options.Size };
        var buffer = new float[options.Batch * 3 * options.Size * options.Size];
        using var classCount = ((long)Math.Max(1, metadata.Config.ClassCount)).ToScalar();
        using var labels = metadata.Config.ClassCount > 0
            ? ScalarArithmetic.Arange(options.Batch, dtype: ScalarType.Int64, device: device).remainder(classCount)
            : null;
        var denoiser = model.AsDenoiser(labels);
        using var generator = new Generator(0, CPU);
        model.eval();
        using var noGrad = torch.no_grad();

        var frames = new List<double>();
        var noise = new List<double>();
        var forward = new List<double>();
        var copy = new List<double>();
        progress.Start("bench", options.Warmup + options.Frames);
        for (int i = 0; i < options.Warmup + options.Frames; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var x = (torch.randn(shape, generator: generator).to(device).Times(metadata.SigmaMax));
            Sync(device);
            double tNoise = clock.Elapsed.TotalMilliseconds;
            var sample = consistency
                ? Solvers.ConsistencySampler.Sample(denoiser, x, taus, metadata.SigmaMax, metadata.SigmaMin, device.type == DeviceType.CPU ? generator : null)
                : Solvers.EulerSolver.Sample(denoiser, x, grid);
            Sync(device);
            double tForward = clock.Elapsed.TotalMilliseconds;
            using (var host = sample.Clamp(-1, 1).to(ScalarType.Float32).cpu())
                host.data<float>().CopyTo(buffer);
            double tCopy = clock.Elapsed.TotalMilliseconds;
            if (i >= options.Warmup)
            {
                frames.Add(tCopy);
                noise.Add(tNoise);
                forward.Add(tForward - tNoise);
                copy.Add(tCopy - tForward);
            }
            progress.Report(i + 1);
        }
        progress.Finish();
        if (!float.IsFinite(buffer[0]))
            progress.Info("warning: the network produced non-finite values");
        return new BenchResult(BenchTimings.Of(frames),
            [("noise", BenchTimings.Of(noise).Median), ("forward", BenchTimings.Of(forward).Median), ("copy", BenchTimings.Of(copy).Median)],
            options.Batch);
    }

    private static BenchResult TimeTraining(EdmPrecond net, ModelMetadata metadata, BenchOptions options, Device device,
        IProgressReporter progress, CancellationToken cancellation)
    {
        var loss = new EdmLoss(sigmaData: metadata.SigmaData);
        using var optimizer = new ConsistencyModels.Training.AdamOptimizer(net.parameters(), 1e-4);
        using var generator = new Generator(0, CPU);
        net.train();
        ConditionedModel denoiser = (x, sigma, labels) => net.forward(x, sigma, labels);
        var shape = new long[] { options.Batch, 3, options.Size, options.Size };

        var frames = new List<double>();
        var data = new List<double>();
        var forward = new List<double>();
        var backward = new List<double>();
        var step = new List<double>();
        progress.Start("bench --train", options.Warmup + options.Frames);
        for (int i = 0; i < options.Warmup + options.Frames; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var x0 = torch.rand(shape, generator: generator).Times(2).Minus(1).to(device);
            var labels = metadata.Config.ClassCount > 0
                ? torch.randint(0, metadata.Config.ClassCount, [options.Batch], generator: generator, dtype: ScalarType.Int64).to(device)
                : null;
            Sync(device);
            double tData = clock.Elapsed.TotalMilliseconds;
            optimizer.ZeroGrad();
            var value = loss.Compute(denoiser, x0, labels, device.type == DeviceType.CPU ? generator : null);
            Sync(device);
            double tForward = clock.Elapsed.TotalMilliseconds;
            value.backward();
            Sync(device);
            double tBackward = clock.Elapsed.TotalMilliseconds;
            optimizer.Step();
            Sync(device);
            double tStep = clock.Elapsed.TotalMilliseconds;
            if (i >= options.Warmup)
            {
                frames.Add(tStep);
                data.Add(tData);
                forward.Add(tForward - tData);
                backward.Add(tBackward - tForward);
                step.Add(tStep - tBackward);
            }
            progress.Report(i + 1, value.item<float>());
        }
        progress.Finish();
        return new BenchResult(BenchTimings.Of(frames),
            [("data", BenchTimings.Of(data).Median), ("forward", BenchTimings.Of(forward).Median),
             ("backward", BenchTimings.Of(backward).Median), ("adam", BenchTimings.Of(step).Median)],
            options.Batch);
    }

    private static void Sync(Device device)
    {
        // CUDA runs asynchronously: wait for the stage to finish before reading the clock (CPU ops are synchronous).
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    private static ResultTable Table(BenchOptions options, string name, BenchResult result)
    {
        string unit = options.Train ? "iter" : "frame";
        var columns = new List<string> { "model", options.Train ? "crop" : "size", "batch" };
        if (!options.Train) columns.Add("steps");
        columns.AddRange(["threads", $"ms/{unit} median", "p95", options.Train ? "it/s" : "textures/s"]);
        if (options.Train) columns.Add("crops/s");
        columns.AddRange(result.Stages.Select(s => $"{s.Name} ms"));
        var table = new ResultTable([.. columns]);
        var cells = new List<string> { name, $"{options.Size}", $"{options.Batch}" };
        if (!options.Train) cells.Add($"{options.Steps}");
        cells.AddRange([$"{torch.get_num_threads()}", ResultTable.Number(result.Frame.Median, "F2"), ResultTable.Number(result.Frame.P95, "F2"),
            ResultTable.Number(options.Train ? result.FramesPerSecond : result.ItemsPerSecond, "F1")]);
        if (options.Train) cells.Add(ResultTable.Number(result.ItemsPerSecond, "F1"));
        cells.AddRange(result.Stages.Select(s => ResultTable.Number(s.Median, "F2")));
        table.AddRow([.. cells]);
        return table;
    }

    private static JsonObject ToJson(BenchOptions options, string name, long parameters, BenchResult result)
    {
        var json = new JsonObject
        {
            ["mode"] = options.Train ? "train" : "generate",
            ["model"] = name,
            ["parameters"] = parameters,
            ["size"] = options.Size,
            ["batch"] = options.Batch,
            ["steps"] = options.Train ? null : options.Steps,
            ["frames"] = options.Frames,
            ["warmup"] = options.Warmup,
            ["threads"] = torch.get_num_threads(),
            ["device"] = EnumNames.Of(options.Device),
            ["ms_per_frame_median"] = result.Frame.Median,
            ["ms_per_frame_p95"] = result.Frame.P95,
            ["ms_per_frame_mean"] = result.Frame.Mean,
            // The process's peak resident memory (model, activations, libtorch's allocator cache): each bench runs in
            // its own process, so this is what one configuration needs.
            ["peak_rss_mib"] = Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
        };
        if (options.Train)
        {
            json["iterations_per_second"] = result.FramesPerSecond;
            json["crops_per_second"] = result.ItemsPerSecond;
        }
        else
        {
            json["textures_per_second"] = result.ItemsPerSecond;
            json["ms_per_texture"] = result.Frame.Mean / options.Batch;
        }
        var stages = new JsonObject();
        foreach (var (stage, median) in result.Stages) stages[stage] = median;
        json["stage_ms_median"] = stages;
        json["command"] = CommandLine(options);
        json["torch"] = TorchInfo.Describe();
        return json;
    }

    private static string CommandLine(BenchOptions options)
    {
        var args = new List<string> { "cm bench" };
        args.Add(options.Model is not null ? $"--model {options.Model}" : $"--config {EnumNames.Of(options.Config ?? NetworkPreset.Small)}");
        args.Add($"--size {options.Size}");
        if (!options.Train) args.Add($"--steps {options.Steps}");
        args.Add($"--batch {options.Batch}");
        args.Add($"--frames {options.Frames}");
        args.Add($"--warmup {options.Warmup}");
        if (options.Threads is int t) args.Add($"--threads {t}");
        if (options.Device != ComputeDevice.Cpu) args.Add($"--device {EnumNames.Of(options.Device)}");
        if (options.Train) args.Add("--train");
        if (options.Train && options.Compute != Networks.ConvolutionCompute.Float32) args.Add($"--compute {EnumNames.Of(options.Compute)}");
        return string.Join(' ', args);
    }
}
