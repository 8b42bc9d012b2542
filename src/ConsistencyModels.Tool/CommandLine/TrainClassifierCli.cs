using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>train-classifier</c> command line.</summary>
internal sealed class TrainClassifierCli
{
    private readonly Option<string> data = OptionKit.RequiredPath("--data", "PATH",
        "Real images: class subfolders of PNG/JPEG files or GIMP .pat patterns (one class per pattern; the default model's categories).");
    private readonly Option<string> output = OptionKit.RequiredPath("--out", "FILE",
        "Classifier file to write (.safetensors; FILE.json beside it holds the settings and the held-out accuracy).");
    private readonly Option<int> crop = OptionKit.Int("--crop",
        "Side of the random wrap-around real crops (flips, quarter turns) in pixels: the sample size cm eval scores best at.", 128);
    private readonly Option<int> downsample = OptionKit.Int("--downsample",
        "Average-pooling factor before the network (128 px crops are seen at 64 px).", 2, "F");
    private readonly Option<int> iters = OptionKit.Int("--iters", "Training steps.", 600);
    private readonly Option<int> batch = OptionKit.Int("--batch", "Crops per step.", 32);
    private readonly Option<double> lr = OptionKit.Double("--lr", "Peak Adam learning rate (warm-up, then cosine decay).", 2e-3);
    private readonly Option<int> heldOut = OptionKit.Int("--held-out",
        "Real crops drawn with another seed and scored at the end: the ceiling a generator can reach.", 600);
    private readonly Option<int> seed = OptionKit.Int("--seed", "Random seed (weights and crops).", 0, "S");
    private readonly Option<bool> force = OptionKit.Flag("--force", "Replace an existing --out file.");
    private readonly Option<ComputeDevice?> device = OptionKit.Choice<ComputeDevice>("--device", "Compute device (default: cpu).");

    public TrainClassifierCli()
    {
        Command = new Command("train-classifier",
            "Train the structure class test's classifier: a small CNN on grayscale real crops, each standardized to zero mean and unit "
            + "variance so colour and contrast cannot give the answer, with an extra class \"(no structure)\" learned from phase-randomized "
            + "crops (each texture's spectrum without its shapes); reports its accuracy on held-out real crops (the ceiling). "
            + "Use it with cm eval --classifier FILE.");
        Command.Add(data);
        Command.Add(output);
        Command.Add(crop);
        Command.Add(downsample);
        Command.Add(iters);
        Command.Add(batch);
        Command.Add(lr);
        Command.Add(heldOut);
        Command.Add(seed);
        Command.Add(force);
        Command.Add(device);
    }

    public Command Command { get; }

    public TrainClassifierOptions Bind(ParseResult result)
    {
        string outPath = result.GetValue(output)!;
        if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new CmException($"--out {outPath}: expected a .safetensors file name");
        int cropSize = Check.AtLeast("--crop", result.GetValue(crop), 16);
        int factor = Check.InRange("--downsample", result.GetValue(downsample), 1, 8);
        if (cropSize % factor != 0)
            throw new CmException($"--crop {cropSize} must be a multiple of --downsample {factor}");
        if (cropSize / factor < 16)
            throw new CmException($"--crop {cropSize} / --downsample {factor} = {cropSize / factor} px is too small for the network (at least 16)");
        return new TrainClassifierOptions(
            Data: result.GetValue(data)!,
            Out: outPath,
            Crop: cropSize,
            Downsample: factor,
            Iters: Check.AtLeast("--iters", result.GetValue(iters), 1),
            Batch: Check.InRange("--batch", result.GetValue(batch), 2, 4096),
            Lr: Check.Positive("--lr", result.GetValue(lr)),
            HeldOut: Check.InRange("--held-out", result.GetValue(heldOut), 1, 100_000),
            Seed: result.GetValue(seed),
            Force: result.GetValue(force),
            Device: result.GetValue(device) ?? ComputeDevice.Cpu);
    }
}
