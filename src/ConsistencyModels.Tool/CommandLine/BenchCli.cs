using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>bench</c> command line.</summary>
internal sealed class BenchCli
{
    private readonly Option<string?> model = OptionKit.Path("--model", "FILE",
        "Model to benchmark (.safetensors). Default: a randomly initialized --config network (speed does not depend on the weights).");
    private readonly Option<NetworkPreset?> config = OptionKit.Choice<NetworkPreset>("--config",
        "Network preset when no --model is given (default: small).");
    private readonly Option<int> size = OptionKit.Int("--size", "Texture size in pixels (square).", 128);
    private readonly Option<int> steps = OptionKit.Int("--steps",
        "Network evaluations per texture (1-2 for a consistency model).", 1, "K");
    private readonly Option<int> batch = OptionKit.Int("--batch", "Textures per forward pass.", 1);
    private readonly Option<int> frames = OptionKit.Int("--frames", "Timed frames (each generates --batch textures).", 100);
    private readonly Option<int> warmup = OptionKit.Int("--warmup", "Untimed frames before timing.", 10);
    private readonly Option<int?> threads = OptionKit.OptionalInt("--threads",
        $"TorchSharp intra-op threads, 1 to {Limits.Threads} (default: TorchSharp's, 2 on our machines).");
    private readonly Option<string?> json = OptionKit.Path("--json", "FILE",
        "Write the results as JSON (ms per frame median and p95, textures per second, settings).");
    private readonly Option<bool> train = OptionKit.Flag("--train",
        "Time training iterations instead (forward, backward and Adam step on --batch crops of --size; --steps is ignored).");
    private readonly Option<Networks.ConvolutionCompute?> compute = OptionKit.Choice<Networks.ConvolutionCompute>("--compute",
        "With --train: layout and precision of the convolutions (fp32, fp32-cl = channels-last, bf16 = bfloat16 autocast, bf16-cl). Default: fp32.");
    private readonly Option<ComputeDevice?> device = OptionKit.Choice<ComputeDevice>("--device", "Compute device (default: cpu).");

    public BenchCli()
    {
        Command = new Command("bench",
            "Measure the network's generation speed (milliseconds per frame and textures per second, eval mode, no grad) or, with --train, its training speed.");
        Command.Add(model);
        Command.Add(config);
        Command.Add(size);
        Command.Add(steps);
        Command.Add(batch);
        Command.Add(frames);
        Command.Add(warmup);
        Command.Add(threads);
        Command.Add(json);
        Command.Add(train);
        Command.Add(compute);
        Command.Add(device);
    }

    public Command Command { get; }

    public BenchOptions Bind(ParseResult result)
    {
        string? modelPath = result.GetValue(model);
        NetworkPreset? preset = result.GetValue(config);
        Check.Exclusive("--model", modelPath is not null, "--config", preset is not null, "the model file fixes the network");
        if (modelPath is null) preset ??= NetworkPreset.Small;
        int pixels = result.GetValue(size);
        if (preset is NetworkPreset p) NetworkLimits.CheckSize("--size", pixels, p);
        else Check.AtLeast("--size", pixels, 1);
        return new BenchOptions(
            Model: modelPath,
            Config: preset,
            Size: pixels,
            Steps: Check.InRange("--steps", result.GetValue(steps), 1, Limits.SamplingSteps),
            Batch: Check.InRange("--batch", result.GetValue(batch), 1, Limits.Batch),
            Frames: Check.InRange("--frames", result.GetValue(frames), 1, Limits.Frames),
            Warmup: Check.InRange("--warmup", result.GetValue(warmup), 0, Limits.Frames),
            Threads: Check.InRange("--threads", result.GetValue(threads), 1, Limits.Threads),
            Json: result.GetValue(json),
            Device: result.GetValue(device) ?? ComputeDevice.Cpu,
            Train: result.GetValue(train),
            Compute: result.GetValue(compute) ?? Networks.ConvolutionCompute.Float32);
    }
}
