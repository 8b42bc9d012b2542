using System.CommandLine;
using ConsistencyModels.Networks;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Sampling;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>sample</c> command line.</summary>
internal sealed class SampleCli
{
    private readonly Option<string> model = OptionKit.RequiredPath("--model", "FILE",
        "Model to sample from: a teacher (cm train-teacher) or a consistency model (cm distill), .safetensors.");
    private readonly Option<string> output = OptionKit.RequiredPath("--out", "FILE|DIR/",
        "Output: a PNG grid (FILE.png, for looking), or a folder (DIR/, with the trailing slash) that gets one PNG per texture (for using: sample-0000-<class>.png, ...).");
    private readonly Option<NetworkPrecision?> precision = OptionKit.Choice<NetworkPrecision>("--precision",
        "Number format of the network while sampling: fp32 (default, as trained) or bf16 (as the runtime runs on CPUs with native bf16).",
        allowed: [NetworkPrecision.Float32, NetworkPrecision.BFloat16]);
    private readonly Option<int?> steps = OptionKit.OptionalInt("--steps",
        "Sampling steps (not training iterations). Default: the model's own (consistency model: its stored tau list, 1-2 steps; teacher: 18 Heun steps = 35 NFE).", "K");
    private readonly Option<SamplerKind?> sampler = OptionKit.Choice<SamplerKind>("--sampler",
        "heun (NFE = 2K-1), euler (= DDIM), stochastic (EDM churn), dpm++2m, consistency (multistep, NFE = K). Default: consistency for consistency models, heun for teachers.", helpName: "NAME");
    private readonly Option<int> count = OptionKit.Int("--count", "Number of samples in the grid.", 16);
    private readonly Option<int> size = OptionKit.Int("--size",
        "Sample size in pixels (square; the network is fully convolutional, so any multiple of its downsampling works).", 64);
    private readonly Option<string?> classOption = OptionKit.Path("--class", "NAME",
        "Class to generate (a class-conditional model's class name, e.g. a pattern name). Default: cycle through all classes.");
    private readonly Option<int> seed = OptionKit.Int("--seed", "Random seed.", 0, "S");
    private readonly Option<bool> tile = OptionKit.Flag("--tile", "Show each sample tiled 2x2 so seams become visible.");
    private readonly Option<ComputeDevice?> device = OptionKit.Choice<ComputeDevice>("--device", "Compute device (default: cpu).");

    public SampleCli()
    {
        Command = new Command("sample", "Generate a PNG grid of samples from a model.");
        Command.Add(model);
        Command.Add(output);
        Command.Add(steps);
        Command.Add(sampler);
        Command.Add(count);
        Command.Add(size);
        Command.Add(classOption);
        Command.Add(seed);
        Command.Add(tile);
        Command.Add(device);
        Command.Add(precision);
    }

    public Command Command { get; }

    public SampleOptions Bind(ParseResult result)
    {
        string outPath = result.GetValue(output)!;
        if (!outPath.EndsWith('/') && !outPath.EndsWith(Path.DirectorySeparatorChar)) Check.PngFile("--out", outPath);
        return new SampleOptions(
            Model: result.GetValue(model)!,
            Out: outPath,
            Steps: Check.InRange("--steps", result.GetValue(steps), 1, Limits.SamplingSteps),
            Sampler: result.GetValue(sampler),
            Count: Check.InRange("--count", result.GetValue(count), 1, 4096),
            Size: Check.AtLeast("--size", result.GetValue(size), 1),
            Class: result.GetValue(classOption),
            Seed: result.GetValue(seed),
            Tile: result.GetValue(tile),
            Device: result.GetValue(device) ?? ComputeDevice.Cpu,
            Precision: result.GetValue(precision) ?? NetworkPrecision.Float32);
    }
}
