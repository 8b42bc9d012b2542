using ConsistencyModels.Naming;
using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>train-teacher</c> command line.</summary>
internal sealed class TrainTeacherCli
{
    private readonly Option<string> data = OptionKit.RequiredPath("--data", "PATH",
        "Training images: a folder of PNG/JPEG files (one subfolder per class makes the model class-conditional) or of GIMP .pat patterns (one class per pattern).");
    private readonly Option<NetworkPreset?> config = OptionKit.Choice<NetworkPreset>("--config",
        "Network size: tiny (tests, smoke runs), small (the default model: 2x pixel-unshuffle stem, C = 32), base (wider). Default: small.");
    private readonly Option<int> crop = OptionKit.Int("--crop",
        "Training crop size in pixels: square random wrap-around crops with flips and rot90; a multiple of the network's downsampling.", 32);
    private readonly Option<int> iters = OptionKit.Int("--iters",
        "Training iterations in total (a resumed run continues up to this count).", 20_000);
    private readonly Option<double> lr = OptionKit.Double("--lr", "Adam learning rate.", 2e-4);
    private readonly Option<double> ema = OptionKit.Double("--ema",
        "Decay of the exponential moving average of the weights; the EMA weights are saved and sampled.", 0.999, "MU");
    private readonly Option<int?> warmup = OptionKit.OptionalInt("--warmup",
        "Linear learning-rate warm-up in iterations. Default: min(1000, iters/10), which depends on --iters: give it explicitly when you plan to extend a run with --resume and a larger --iters.");
    private readonly Option<bool> unconditional = OptionKit.Flag("--unconditional",
        "Ignore class subfolders / pattern names and train one unconditional model.");
    private readonly Option<int?> channels = OptionKit.OptionalInt("--channels",
        "Network width C of the first level (default: the --config preset's, 32 for small).", "C");
    private readonly Option<int[]?> mults = OptionKit.IntList("--mults",
        "Width multiplier per resolution level, e.g. 1,2,4,4 (the length is the number of levels; each halves the size). Default: the preset's (small: 1,2,4).");
    private readonly Option<int?> blocks = OptionKit.OptionalInt("--blocks",
        "Residual blocks per level in the encoder (the decoder has one more). Default: the preset's (small: 1).");
    private readonly Option<int[]?> attention = OptionKit.IntList("--attention",
        "Levels with self-attention (0 = full resolution; the lowest level also puts it in the first middle block), or none. Default: the preset's (small: none).", "L,L,...|none");
    private readonly Option<Networks.ConvolutionCompute?> compute = OptionKit.Choice<Networks.ConvolutionCompute>("--compute",
        "Layout and precision of the convolutions: fp32, bf16 (bfloat16 autocast: float32 weights and optimizer, bf16 convolutions; 1.25x faster on CPUs with native bf16), fp32-cl/bf16-cl (channels-last). Default: bf16 where the CPU computes bf16 natively, else fp32.");
    private readonly Option<string?> init = OptionKit.Path("--init", "FILE",
        "Start from the weights of a teacher made by cm train-teacher (its EMA weights; the optimizer and the EMA restart): continues a teacher in a new run folder, e.g. one committed to a repository. The network is the file's: --config/--channels/--mults/--blocks/--attention are refused with it. The saved model counts the file's iterations too.");
    private readonly Option<Training.CropAugmentation?> augment = OptionKit.Choice<Training.CropAugmentation>("--augment",
        "Orientations of the training crops: dihedral (random flips and quarter turns), flips (flips only: a texture's axes are kept, "
        + "bricks stay horizontal), none. Recorded in the model; distill follows it. Default: dihedral, or the --init file's.");
    private readonly RunOptionSet run = new();

    public TrainTeacherCli()
    {
        Command = new Command("train-teacher",
            "Train an EDM teacher (Karras et al. 2022: preconditioned denoiser, ln sigma ~ N(-1.2, 1.2^2)) on random crops of a texture folder.");
        Command.Add(data);
        Command.Add(config);
        Command.Add(crop);
        Command.Add(iters);
        Command.Add(lr);
        Command.Add(ema);
        Command.Add(warmup);
        Command.Add(unconditional);
        Command.Add(channels);
        Command.Add(mults);
        Command.Add(blocks);
        Command.Add(attention);
        Command.Add(compute);
        Command.Add(init);
        Command.Add(augment);
        run.AddTo(Command);
    }

    public Command Command { get; }

    // A list option that was not given reads as an empty array; only a given one (possibly "none") counts.
    private static int[]? Given(ParseResult result, Option<int[]?> option) =>
        result.GetResult(option) is { Implicit: false } ? result.GetValue(option) : null;

    public TrainTeacherOptions Bind(ParseResult result)
    {
        var shared = run.Bind(result);
        var preset = result.GetValue(config) ?? NetworkPreset.Small;
        int cropSize = result.GetValue(crop);
        var shape = new NetworkShape(result.GetValue(channels), Given(result, mults), result.GetValue(blocks), Given(result, attention));
        string? initPath = result.GetValue(init);
        if (initPath is not null)
        {
            foreach (var (name, given) in new (string, bool)[]
                     {
                         ("--config", result.GetResult(config) is { Implicit: false }), ("--channels", shape.Channels is not null),
                         ("--mults", shape.Multipliers is not null), ("--blocks", shape.Blocks is not null), ("--attention", shape.Attention is not null),
                     })
                if (given)
                    throw new CmException($"{name} cannot be combined with --init: the network is the one in {initPath}");
        }
        else
            NetworkLimits.CheckSize("--crop", cropSize, shape.Apply(Commands.Presets.For(preset)), EnumNames.Of(preset));
        return new TrainTeacherOptions
        {
            Data = result.GetValue(data)!,
            Config = preset,
            Crop = cropSize,
            Iters = Check.AtLeast("--iters", result.GetValue(iters), 1),
            Lr = Check.Positive("--lr", result.GetValue(lr)),
            Ema = Check.Decay("--ema", result.GetValue(ema))!.Value,
            Warmup = result.GetValue(warmup) is int w ? Check.AtLeast("--warmup", w, 0) : null,
            Unconditional = result.GetValue(unconditional),
            Shape = shape,
            Compute = result.GetValue(compute),
            Init = initPath,
            Augment = result.GetValue(augment),
            Run = shared,
        };
    }
}
