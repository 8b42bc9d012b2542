using System.CommandLine;
using System.Globalization;
using System.Numerics;
using ConsistencyModels.Diffusion;
using ConsistencyModels.Losses;
using ConsistencyModels.Naming;
using ConsistencyModels.Tool.Distill;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>distill</c> command line: its help, defaults and validation all come from the method table
/// (<see cref="DistillMethods"/>).</summary>
internal sealed class DistillCli
{
    private static readonly TrainingMethod[] Methods = DistillMethods.All.Select(m => m.Method).ToArray();

    private readonly Option<TrainingMethod?> method = OptionKit.Choice<TrainingMethod>("--method",
        "Method. " + string.Join("; ", DistillMethods.All.Select(m => $"{m.Name}: {m.Summary}")) + ".",
        required: true, helpName: "METHOD", allowed: Methods);
    private readonly Option<string?> teacher = OptionKit.Path("--teacher", "FILE",
        $"Teacher model (a model trained with cm train-teacher); needed by {DistillMethods.Names(DistillMethods.All.Where(m => m.NeedsTeacher))}, "
        + $"refused by {DistillMethods.Names(DistillMethods.All.Where(m => !m.NeedsTeacher))}. The student copies its architecture.");
    private readonly Option<string?> data = OptionKit.Path("--data", "PATH",
        $"Training images (as for train-teacher); needed by {DistillMethods.Names(DistillMethods.All.Where(m => m.ReadsData))}, "
        + $"refused by {DistillMethods.Names(DistillMethods.All.Where(m => !m.ReadsData))} (it makes its pairs with the teacher).");
    private readonly Option<int> iters = OptionKit.Int("--iters",
        "Training iterations in total (progressive: split evenly over the rounds).", DistillMethods.Iters);
    private readonly Option<double?> lr = OptionKit.OptionalDouble("--lr",
        "Adam learning rate. Default: " + PerMethod(m => m.Lr.ToString("G3", CultureInfo.InvariantCulture)) + ".");
    private readonly Option<DistanceMetricKind?> loss = OptionKit.Choice<DistanceMetricKind>("--loss",
        "Distance d of the loss (pseudo-huber is the LPIPS-free metric of iCT). Default: " + PerMethod(m => EnumNames.Of(m.Loss)) + ".");
    private readonly Option<LossWeightingKind?> weighting = OptionKit.Choice<LossWeightingKind>("--weighting",
        "Loss weighting lambda(sigma). uniform 1, snr 1/sigma^2, snr+1, karras 1/sigma^2 + 1/sigma_data^2 (EDM), truncated-snr max(1/sigma^2, 1), "
        + $"inverse-step 1/(sigma_n - sigma_n+1) (only {DistillMethods.Names(DistillMethods.All.Where(m => m.Weightings.Contains(LossWeightingKind.InverseStep)))}: "
        + "their losses compare two adjacent levels). Default: " + PerMethod(m => EnumNames.Of(m.Weighting)) + ".", helpName: "NAME");
    private readonly Option<int?> n = OptionKit.OptionalInt("--n",
        "Discretization. " + string.Join("; ", DistillMethods.All.Select(m => $"{m.Name}: {m.NMeaning} (default {m.N})")) + ".");
    private readonly Option<int?> nStart = OptionKit.OptionalInt("--n-start",
        $"{DistillMethods.Taking(MethodOption.NStart)}: initial N of the discretization curriculum (default {PerMethod(m => $"{m.NStart}", MethodOption.NStart)}).");
    private readonly Option<double?> ema = OptionKit.OptionalDouble("--ema",
        "cd: EMA decay mu of the target network; ct: mu0 of the EMA schedule (default "
        + PerMethod(m => m.Ema?.ToString(CultureInfo.InvariantCulture) ?? "", MethodOption.Ema)
        + "). The other methods have no EMA target (ict uses the stop-gradient of the online network).", "MU");
    private readonly Option<int?> rounds = OptionKit.OptionalInt("--rounds",
        $"{DistillMethods.Taking(MethodOption.Rounds)}: halving rounds (default log2 of --n, ending at 1 step; 1 less ends at 2 steps).", "R");
    private readonly Option<int?> pairs = OptionKit.OptionalInt("--pairs",
        $"{DistillMethods.Taking(MethodOption.Pairs)}: number of (noise, teacher sample) pairs to make and retrain on (default {PerMethod(m => $"{m.Pairs}", MethodOption.Pairs)}).");
    private readonly Option<DiffusionFormKind?> form = OptionKit.Choice<DiffusionFormKind>("--form",
        $"{DistillMethods.Taking(MethodOption.Form)}: diffusion form to retrain in (default {PerMethod(m => m.Form is { } f ? EnumNames.Of(f) : "", MethodOption.Form)}; flow is rectified flow).");
    private readonly Option<NetworkPreset?> config = OptionKit.Choice<NetworkPreset>("--config",
        $"{DistillMethods.Taking(MethodOption.Config)}: network size (default {PerMethod(m => m.Config is { } c ? EnumNames.Of(c) : "", MethodOption.Config)}); the other methods copy the teacher's architecture.");
    private readonly Option<int?> crop = OptionKit.OptionalInt("--crop",
        "Training crop size in pixels (default: the teacher's crop; " + PerMethod(m => $"{m.Crop}", m => m.Crop is not null) + ").");
    private readonly Option<string?> init = OptionKit.Path("--init", "FILE",
        $"{DistillMethods.Taking(MethodOption.Init)}: start the student (and its EMA target) from this consistency model's weights instead of the teacher's, "
        + "e.g. a committed student to go on distilling in a new run folder or against a newer teacher of the same network and classes. "
        + "Adam's moments and the EMAs restart; the saved model counts the file's iterations too.");
    private readonly Option<Networks.ConvolutionCompute?> compute = OptionKit.Choice<Networks.ConvolutionCompute>("--compute",
        "Layout and precision of the convolutions of the student, its target and the teacher: fp32, bf16 (bfloat16 autocast, float32 weights and optimizer), "
        + "fp32-cl/bf16-cl (channels-last). Default: fp32 (unlike train-teacher: bf16's effect on a distilled student is not measured yet).");
    private readonly Option<Training.CropAugmentation?> augment = OptionKit.Choice<Training.CropAugmentation>("--augment",
        "Orientations of the training crops (methods that read --data): dihedral (random flips and quarter turns), flips (flips only), none. "
        + "Default: the teacher's (recorded in its model file; dihedral for older files and methods without a teacher).");
    private readonly RunOptionSet run = new();

    public DistillCli()
    {
        Command = new Command("distill",
            "Distill a teacher into a 1-2 step model or train a consistency model without a teacher. "
            + "Every method defaults to its paper's settings (src/ConsistencyModels.Tool/Distill/DistillMethods.cs lists them).");
        Command.Add(method);
        Command.Add(teacher);
        Command.Add(data);
        Command.Add(iters);
        Command.Add(lr);
        Command.Add(loss);
        Command.Add(weighting);
        Command.Add(n);
        Command.Add(nStart);
        Command.Add(ema);
        Command.Add(rounds);
        Command.Add(pairs);
        Command.Add(form);
        Command.Add(config);
        Command.Add(crop);
        Command.Add(init);
        Command.Add(compute);
        Command.Add(augment);
        run.AddTo(Command);
    }

    public Command Command { get; }

    public DistillOptions Bind(ParseResult result)
    {
        var m = DistillMethods.Of(result.GetValue(method)!.Value);
        var shared = run.Bind(result);

        string? teacherPath = result.GetValue(teacher);
        if (m.NeedsTeacher && teacherPath is null)
            throw new CmException($"--method {m.Name} needs --teacher FILE (a model trained with cm train-teacher)");
        if (!m.NeedsTeacher && teacherPath is not null)
            throw new CmException($"--method {m.Name} trains without a teacher; drop --teacher");
        string? dataPath = result.GetValue(data);
        if (m.ReadsData && dataPath is null)
            throw new CmException($"--method {m.Name} needs --data PATH (the training images)");
        if (!m.ReadsData && dataPath is not null)
            throw new CmException($"--method {m.Name} makes its training pairs with the teacher and reads no images; drop --data");

        int? givenNStart = Applying(result, m, MethodOption.NStart, nStart);
        double? givenEma = Applying(result, m, MethodOption.Ema, ema);
        int? givenRounds = Applying(result, m, MethodOption.Rounds, rounds);
        int? givenPairs = Applying(result, m, MethodOption.Pairs, pairs);
        DiffusionFormKind? givenForm = Applying(result, m, MethodOption.Form, form);
        NetworkPreset? givenConfig = Applying(result, m, MethodOption.Config, config);
        string? initPath = result.GetValue(init);
        var givenAugment = result.GetValue(augment);
        if (givenAugment is not null && !m.ReadsData)
            throw new CmException($"--augment does not apply to --method {m.Name}: it reads no training images");
        RefuseUnlessTaken(initPath is not null, m, MethodOption.Init);

        var weight = result.GetValue(weighting) ?? m.Weighting;
        if (!m.Weightings.Contains(weight))
            throw new CmException($"--weighting {EnumNames.Of(weight)} does not apply to --method {m.Name}: its loss has no pair of adjacent noise levels "
                + $"(it takes {string.Join(", ", m.Weightings.Select(EnumNames.Of))})");

        int gridN = result.GetValue(n) ?? m.N;
        if (gridN > Limits.GridPoints) throw new CmException($"--n must be at most {Limits.GridPoints}, got {gridN}");
        if (m.NPowerOfTwo && (gridN < 2 || !BitOperations.IsPow2(gridN)))
            throw new CmException($"--n {gridN}: {m.Name} needs a power of 2 >= 2 ({m.NMeaning}, e.g. {m.N})");
        Check.AtLeast("--n", gridN, m.MinN);
        int? roundCount = m.Takes(MethodOption.Rounds)
            ? Check.InRange("--rounds", givenRounds ?? BitOperations.Log2((uint)gridN), 1, BitOperations.Log2((uint)gridN))
            : null;
        int? start = m.Takes(MethodOption.NStart) ? givenNStart ?? m.NStart : null;
        if (start is int s)
        {
            Check.AtLeast("--n-start", s, 2);
            if (s > gridN) throw new CmException($"--n-start {s} must not exceed --n {gridN}");
        }

        NetworkPreset? preset = m.Takes(MethodOption.Config) ? givenConfig ?? m.Config : null;
        int? cropSize = result.GetValue(crop) ?? m.Crop;
        if (cropSize is int c)
        {
            if (preset is NetworkPreset p) NetworkLimits.CheckSize("--crop", c, p);
            else Check.AtLeast("--crop", c, 1);
        }

        return new DistillOptions
        {
            Method = m.Method,
            Teacher = teacherPath,
            Data = dataPath,
            Iters = Check.AtLeast("--iters", result.GetValue(iters), roundCount ?? 1),
            Lr = Check.Positive("--lr", result.GetValue(lr) ?? m.Lr),
            Loss = result.GetValue(loss) ?? m.Loss,
            Weighting = weight,
            N = gridN,
            NStart = start,
            Ema = m.Takes(MethodOption.Ema) ? Check.Decay("--ema", givenEma ?? m.Ema) : null,
            Rounds = roundCount,
            Pairs = m.Takes(MethodOption.Pairs) ? Check.InRange("--pairs", givenPairs ?? m.Pairs!.Value, 1, Limits.Pairs) : null,
            Form = m.Takes(MethodOption.Form) ? givenForm ?? m.Form : null,
            Config = preset,
            Crop = cropSize,
            Init = initPath,
            Augment = givenAugment,
            Compute = result.GetValue(compute) ?? Networks.ConvolutionCompute.Float32,
            Run = shared,
        };
    }

    // The value of a method option, refused with a message naming the method when it does not apply.
    private static T? Applying<T>(ParseResult result, DistillMethod m, MethodOption option, Option<T?> cli) where T : struct
    {
        var value = result.GetValue(cli);
        RefuseUnlessTaken(value is not null, m, option);
        return value;
    }

    // A given method option that does not apply: one message naming the method and where the option applies.
    private static void RefuseUnlessTaken(bool given, DistillMethod m, MethodOption option)
    {
        if (given && !m.Takes(option))
            throw new CmException($"{EnumNames.Of(option)} does not apply to --method {m.Name}; it applies to {DistillMethods.Taking(option)} only");
    }

    private static string PerMethod(Func<DistillMethod, string> value, MethodOption option) => PerMethod(value, m => m.Takes(option));

    private static string PerMethod(Func<DistillMethod, string> value, Func<DistillMethod, bool>? where = null) =>
        string.Join("; ", DistillMethods.All.Where(where ?? (_ => true)).GroupBy(value).Select(g => $"{DistillMethods.Names(g)} {g.Key}"));
}
