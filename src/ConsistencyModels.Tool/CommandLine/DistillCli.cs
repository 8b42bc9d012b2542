using System.CommandLine;
using System.Numerics;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>distill</c> command line; resolves per-method defaults (<see cref="DistillDefaults"/>).</summary>
internal sealed class DistillCli
{
    private readonly Option<DistillMethod?> method = OptionKit.Choice<DistillMethod>("--method",
        "Method. cd: consistency distillation (one teacher Heun step, EMA target); ct: consistency training, no teacher; "
        + "ict: improved consistency training, no teacher; direct-cd: regress on the teacher's full ODE solution; "
        + "progressive: halve the teacher's step count each round; rectified: retrain on (noise, teacher sample) pairs "
        + "(for rectified + cd, run cd with the rectified model as --teacher).", required: true, helpName: "METHOD");
    private readonly Option<string?> teacher = OptionKit.Path("--teacher", "FILE",
        "Teacher model (a model trained with cm train-teacher); needed by cd, direct-cd, progressive and rectified, not used by ct and ict. The student copies its architecture.");
    private readonly Option<string?> data = OptionKit.Path("--data", "PATH",
        "Training images (as for train-teacher); needed by every method except rectified, which makes its pairs with the teacher.");
    private readonly Option<int> iters = OptionKit.Int("--iters",
        "Training iterations in total (progressive: split evenly over the rounds).", DistillDefaults.Iters);
    private readonly Option<double?> lr = OptionKit.OptionalDouble("--lr",
        "Adam learning rate. Default per method: cd, ct, direct-cd 4e-4; ict 1e-4; progressive, rectified 2e-4.");
    private readonly Option<DistanceKind?> loss = OptionKit.Choice<DistanceKind>("--loss",
        "Distance d of the loss. Default: l2 for progressive and rectified, pseudo-huber (the LPIPS-free metric of iCT) otherwise.");
    private readonly Option<WeightingKind?> weighting = OptionKit.Choice<WeightingKind>("--weighting",
        "Loss weighting lambda(sigma). uniform 1, snr 1/sigma^2, snr+1, karras 1/sigma^2 + 1/sigma_data^2 (EDM), truncated-snr max(1/sigma^2, 1), "
        + "inverse-step 1/(sigma_i+1 - sigma_i). Default: inverse-step for ict, truncated-snr for progressive, karras for rectified, uniform otherwise.", helpName: "NAME");
    private readonly Option<int?> n = OptionKit.OptionalInt("--n",
        "Discretization. cd, direct-cd: Karras grid points (default 18); ct: final N (default 150); ict: final N of the doubling schedule (default 1280); "
        + "progressive: teacher steps in round 1, a power of 2 (default 32); rectified: teacher Heun steps per pair (default 18 = 35 NFE).");
    private readonly Option<int?> nStart = OptionKit.OptionalInt("--n-start",
        "ct, ict: initial N of the discretization curriculum (default 2 for ct, 10 for ict).");
    private readonly Option<double?> ema = OptionKit.OptionalDouble("--ema",
        "cd: EMA decay mu of the target network (default 0.95); ct: mu0 of the EMA schedule (default 0.9). "
        + "Other methods have no EMA target (ict uses the stop-gradient of the online network).", "MU");
    private readonly Option<int?> rounds = OptionKit.OptionalInt("--rounds",
        "progressive: halving rounds (default log2 of --n, ending at 1 step; 1 less ends at 2 steps).", "R");
    private readonly Option<int?> pairs = OptionKit.OptionalInt("--pairs",
        "rectified: number of (noise, teacher sample) pairs to make and retrain on (default 10000).");
    private readonly Option<DiffusionFormKind?> form = OptionKit.Choice<DiffusionFormKind>("--form",
        "rectified: diffusion form to retrain in (default: flow, i.e. rectified flow).");
    private readonly Option<NetworkPreset?> config = OptionKit.Choice<NetworkPreset>("--config",
        "ct, ict: network size (default: small); the other methods copy the teacher's architecture.");
    private readonly Option<int?> crop = OptionKit.OptionalInt("--crop",
        "Training crop size in pixels (default: the teacher's crop; 32 for ct and ict).");
    private readonly RunOptionSet run = new();

    public DistillCli()
    {
        Command = new Command("distill",
            "Distill a teacher into a 1-2 step consistency model (cd, direct-cd, progressive, rectified) or train one without a teacher (ct, ict). "
            + "Every method defaults to its paper's settings.");
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
        run.AddTo(Command);
    }

    public Command Command { get; }

    public DistillOptions Bind(ParseResult result)
    {
        var m = result.GetValue(method)!.Value;
        string name = CliNames.Of(m);
        var shared = run.Bind(result);

        string? teacherPath = result.GetValue(teacher);
        if (DistillDefaults.NeedsTeacher(m) && teacherPath is null)
            throw new CmException($"--method {name} needs --teacher FILE (a model trained with cm train-teacher)");
        if (!DistillDefaults.NeedsTeacher(m) && teacherPath is not null)
            throw new CmException($"--method {name} trains without a teacher; drop --teacher");

        string? dataPath = result.GetValue(data);
        if (DistillDefaults.NeedsData(m) && dataPath is null)
            throw new CmException($"--method {name} needs --data PATH (the training images)");
        if (!DistillDefaults.NeedsData(m) && dataPath is not null)
            throw new CmException($"--method {name} makes its training pairs with the teacher and reads no images; drop --data");

        bool isCt = m is DistillMethod.Ct or DistillMethod.Ict;
        OnlyFor("--ema", result.GetValue(ema) is not null, m is DistillMethod.Cd or DistillMethod.Ct, "cd and ct", name);
        OnlyFor("--n-start", result.GetValue(nStart) is not null, isCt, "ct and ict", name);
        OnlyFor("--rounds", result.GetValue(rounds) is not null, m is DistillMethod.Progressive, "progressive", name);
        OnlyFor("--pairs", result.GetValue(pairs) is not null, m is DistillMethod.Rectified, "rectified", name);
        OnlyFor("--form", result.GetValue(form) is not null, m is DistillMethod.Rectified, "rectified", name);
        OnlyFor("--config", result.GetValue(config) is not null, isCt, "ct and ict (the other methods copy the teacher's architecture)", name);

        int gridN = result.GetValue(n) ?? DistillDefaults.N(m);
        if (gridN > Limits.GridPoints) throw new CmException($"--n must be at most {Limits.GridPoints}, got {gridN}");
        int? start = result.GetValue(nStart) ?? DistillDefaults.NStart(m);
        int? roundCount = null;
        switch (m)
        {
            case DistillMethod.Progressive:
                if (gridN < 2 || !BitOperations.IsPow2(gridN))
                    throw new CmException($"--n {gridN}: progressive needs a power of 2 >= 2 teacher steps (e.g. 32)");
                int maxRounds = BitOperations.Log2((uint)gridN);
                roundCount = Check.InRange("--rounds", result.GetValue(rounds) ?? maxRounds, 1, maxRounds);
                break;
            case DistillMethod.Rectified:
                Check.AtLeast("--n", gridN, 1);
                break;
            default:
                Check.AtLeast("--n", gridN, 2);
                break;
        }
        if (start is int s)
        {
            Check.AtLeast("--n-start", s, 2);
            if (s > gridN) throw new CmException($"--n-start {s} must not exceed --n {gridN}");
        }

        NetworkPreset? preset = isCt ? result.GetValue(config) ?? DistillDefaults.Config : null;
        int? cropSize = result.GetValue(crop) ?? (isCt ? DistillDefaults.Crop : null);
        if (cropSize is int c)
        {
            if (preset is NetworkPreset p) NetworkLimits.CheckSize("--crop", c, p);
            else Check.AtLeast("--crop", c, 1);
        }

        return new DistillOptions(
            Method: m,
            Teacher: teacherPath,
            Data: dataPath,
            Out: shared.Out,
            Iters: Check.AtLeast("--iters", result.GetValue(iters), roundCount ?? 1),
            Batch: shared.Batch,
            Lr: Check.Positive("--lr", result.GetValue(lr) ?? DistillDefaults.Lr(m)),
            Loss: result.GetValue(loss) ?? DistillDefaults.Loss(m),
            Weighting: result.GetValue(weighting) ?? DistillDefaults.Weighting(m),
            N: gridN,
            NStart: start,
            Ema: Check.Decay("--ema", result.GetValue(ema) ?? DistillDefaults.Ema(m)),
            Rounds: roundCount,
            Pairs: m is DistillMethod.Rectified ? Check.InRange("--pairs", result.GetValue(pairs) ?? DistillDefaults.Pairs, 1, Limits.Pairs) : null,
            Form: m is DistillMethod.Rectified ? result.GetValue(form) ?? DiffusionFormKind.Flow : null,
            Config: preset,
            Crop: cropSize,
            Seed: shared.Seed,
            Resume: shared.Resume,
            Force: shared.Force,
            Device: shared.Device,
            CheckpointEvery: shared.CheckpointEvery,
            SampleEvery: shared.SampleEvery,
            LogEvery: shared.LogEvery,
            Distributed: shared.Distributed,
            Shards: shared.Shards);
    }

    private static void OnlyFor(string option, bool given, bool applies, string methods, string method)
    {
        if (given && !applies)
            throw new CmException($"{option} applies to {methods} only, not to --method {method}");
    }
}
