using System.CommandLine;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Sampling;
using ConsistencyModels.Networks;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>eval</c> command line.</summary>
internal sealed class EvalCli
{
    private readonly Option<string> model = OptionKit.RequiredPath("--model", "FILE", "Model to evaluate (.safetensors).");
    private readonly Option<string> data = OptionKit.RequiredPath("--data", "PATH",
        "Real images to compare with (the training folder): random crops of --size are the reference set.");
    private readonly Option<int?> steps = OptionKit.OptionalInt("--steps",
        "Sampling steps. Default: the model's own (consistency model: its stored tau list; teacher: 18 Heun steps).", "K");
    private readonly Option<SamplerKind?> sampler = OptionKit.Choice<SamplerKind>("--sampler",
        "See cm sample --help. Default: consistency for consistency models, heun for teachers.", helpName: "NAME");
    private readonly Option<int> count = OptionKit.Int("--count", "Number of generated samples and of real crops.", 256);
    private readonly Option<int> size = OptionKit.Int("--size", "Sample and crop size in pixels.", 64);
    private readonly Option<string?> json = OptionKit.Path("--json", "FILE",
        "Write the results as JSON (swd_real_mean, swd_real_per_level, swd_real_coarse: real-normalized SWD; swd_mean, swd_per_level: per-set SWD as in older tables; spectrum_distance, seam_error, diversity, nearest_crop, nfe, ...).");
    private readonly Option<string?> grid = OptionKit.Path("--grid", "FILE", "Also write the evaluated samples as a PNG grid.");
    private readonly Option<string?> teacher = OptionKit.Path("--teacher", "FILE",
        "Teacher model: also measure the ODE error E = |f(x_T) - teacher ODE solution(x_T)| (the Direct CD comparison).");
    private readonly Option<bool> real = OptionKit.Flag("--real",
        "Also score a second, disjoint set of real crops: the floor the metrics can reach.");
    private readonly Option<int> seed = OptionKit.Int("--seed", "Random seed (samples and real crops).", 0, "S");
    private readonly Option<ComputeDevice?> device = OptionKit.Choice<ComputeDevice>("--device", "Compute device (default: cpu).");
    private readonly Option<double?> churn = OptionKit.OptionalDouble("--churn",
        "S_churn of --sampler stochastic (EDM's noise injection per step; 0 = Heun). Default: 40.");
    private readonly Option<NetworkPrecision?> precision = OptionKit.Choice<NetworkPrecision>("--precision",
        "Number format of the network while sampling: fp32 (default, as trained) or bf16 (as the runtime runs on CPUs with native bf16).",
        allowed: [NetworkPrecision.Float32, NetworkPrecision.BFloat16]);

    private readonly Option<string?> classifier = OptionKit.Path("--classifier", "FILE",
        "Structure classifier (cm train-classifier): report the share of samples it assigns to the class they were asked for, per class and overall, beside real crops and its held-out ceiling.");
    private readonly Option<string?> pictures = OptionKit.Path("--pictures", "FILE",
        "Also write a PNG with one row per class: a real crop of the class's texture, then its first generated samples, each tiled 2x2 (more than 10 classes: FILE-1.png, FILE-2.png, ...).");

    private readonly Option<bool> uniformReal = OptionKit.Flag("--uniform-real",
        "Draw the real crops uniformly over the images, as cm eval did before 2026-12-01 (reproduces older tables). Default for a class-conditional model on its own data: class-balanced, crop i from class i mod K like the samples.");

    public EvalCli()
    {
        Command = new Command("eval",
            "Score a model against real crops: SWD on Laplacian-pyramid patches (per level, coarsest level and mean; real-normalized and per-set), power-spectrum distance, seam error, diversity, nearest-training-crop distance; printed as a table.");
        Command.Add(model);
        Command.Add(data);
        Command.Add(steps);
        Command.Add(sampler);
        Command.Add(count);
        Command.Add(size);
        Command.Add(json);
        Command.Add(grid);
        Command.Add(teacher);
        Command.Add(real);
        Command.Add(seed);
        Command.Add(device);
        Command.Add(precision);
        Command.Add(churn);
        Command.Add(classifier);
        Command.Add(pictures);
        Command.Add(uniformReal);
    }

    public Command Command { get; }

    private static double? ChurnFor(double? value, SamplerKind? sampler)
    {
        if (value is null) return null;
        if (sampler != SamplerKind.Stochastic)
            throw new CmException("--churn applies to --sampler stochastic only");
        return value.Value >= 0 ? value : throw new CmException($"--churn must be ≥ 0, got {value.Value}");
    }

    public EvalOptions Bind(ParseResult result)
    {
        string? gridPath = result.GetValue(grid);
        if (gridPath is not null) Check.PngFile("--grid", gridPath);
        string? picturesPath = result.GetValue(pictures);
        if (picturesPath is not null) Check.PngFile("--pictures", picturesPath);
        return new EvalOptions(
            Model: result.GetValue(model)!,
            Data: result.GetValue(data)!,
            Steps: Check.InRange("--steps", result.GetValue(steps), 1, Limits.SamplingSteps),
            Sampler: result.GetValue(sampler),
            Count: Check.InRange("--count", result.GetValue(count), 2, 100_000),
            Size: Check.AtLeast("--size", result.GetValue(size), 8),
            Json: result.GetValue(json),
            Grid: gridPath,
            Teacher: result.GetValue(teacher),
            Real: result.GetValue(real),
            Seed: result.GetValue(seed),
            Device: result.GetValue(device) ?? ComputeDevice.Cpu,
            Precision: result.GetValue(precision) ?? NetworkPrecision.Float32,
            Churn: ChurnFor(result.GetValue(churn), result.GetValue(sampler)),
            Classifier: result.GetValue(classifier),
            Pictures: picturesPath,
            UniformReal: result.GetValue(uniformReal));
    }
}
