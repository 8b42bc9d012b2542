using ConsistencyModels.Diffusion;
using ConsistencyModels.IO;
using ConsistencyModels.Losses;
using ConsistencyModels.Naming;
using ConsistencyModels.Sampling;
using ConsistencyModels.Schedules;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Distill;

/// <summary>The method-specific options of <c>cm distill</c>; each method lists the ones that apply to it
/// (<see cref="DistillMethod.Options"/>). Giving one that does not apply is an error naming the method.</summary>
public enum MethodOption
{
    /// <summary><c>--n-start</c>: the initial N of a discretization curriculum.</summary>
    [Name("--n-start")] NStart,

    /// <summary><c>--ema</c>: the target network's EMA decay μ (or μ₀ of its schedule).</summary>
    [Name("--ema")] Ema,

    /// <summary><c>--rounds</c>: halving rounds of progressive distillation.</summary>
    [Name("--rounds")] Rounds,

    /// <summary><c>--pairs</c>: (noise, teacher sample) pairs of rectified diffusion.</summary>
    [Name("--pairs")] Pairs,

    /// <summary><c>--form</c>: the diffusion form to retrain in.</summary>
    [Name("--form")] Form,

    /// <summary><c>--config</c>: the network preset (methods without a teacher to copy it from).</summary>
    [Name("--config")] Config,

    /// <summary><c>--init</c>: start the student from an earlier consistency model instead of the teacher's weights.</summary>
    [Name("--init")] Init,
}

/// <summary>
/// One distillation / consistency-training method of <c>cm distill</c>, EDM <c>train.py</c>-style: what it is, what it
/// needs, its paper's defaults (scaled to a 2-core CPU), which options apply, and the factory of its objective.
/// <see cref="DistillMethods"/> holds the table; the command line, <c>--help</c>, validation and
/// <c>DistillCommand</c> read it and nothing else.
/// </summary>
public sealed record DistillMethod
{
    /// <summary>The method (its command-line name is <c>EnumNames.Of(Method)</c>).</summary>
    public required TrainingMethod Method { get; init; }

    /// <summary>One line for <c>--help</c>.</summary>
    public required string Summary { get; init; }

    /// <summary>Distills a teacher (<c>--teacher</c> required; the student copies its architecture and starts from its weights).</summary>
    public required bool NeedsTeacher { get; init; }

    /// <summary>Reads training images (<c>--data</c> required); otherwise it must not be given.</summary>
    public required bool ReadsData { get; init; }

    /// <summary>The network the result is: a consistency function or an EDM denoiser.</summary>
    public required ModelKind Result { get; init; }

    /// <summary>How the result is sampled (written into its metadata).</summary>
    public required SamplingKind Sampling { get; init; }

    /// <summary>Default distance d (LPIPS is not available; pseudo-Huber is iCT's LPIPS-free metric, §3.3).</summary>
    public required DistanceMetricKind Loss { get; init; }

    /// <summary>Default loss weighting λ.</summary>
    public required LossWeightingKind Weighting { get; init; }

    /// <summary>The weightings the method's loss honours (a loss without a pair of adjacent levels has no inverse-step).</summary>
    public required IReadOnlySet<LossWeightingKind> Weightings { get; init; }

    /// <summary>Default Adam learning rate.</summary>
    public required double Lr { get; init; }

    /// <summary>Default <c>--n</c>.</summary>
    public required int N { get; init; }

    /// <summary>What <c>--n</c> means for this method (for <c>--help</c> and messages).</summary>
    public required string NMeaning { get; init; }

    /// <summary>The smallest <c>--n</c>.</summary>
    public int MinN { get; init; } = 2;

    /// <summary>Whether <c>--n</c> must be a power of two.</summary>
    public bool NPowerOfTwo { get; init; }

    /// <summary>The method-specific options that apply.</summary>
    public IReadOnlySet<MethodOption> Options { get; init; } = new HashSet<MethodOption>();

    /// <summary>Default <c>--n-start</c> (where <see cref="MethodOption.NStart"/> applies).</summary>
    public int? NStart { get; init; }

    /// <summary>Default <c>--ema</c> (where <see cref="MethodOption.Ema"/> applies).</summary>
    public double? Ema { get; init; }

    /// <summary>Default <c>--pairs</c> (where <see cref="MethodOption.Pairs"/> applies).</summary>
    public int? Pairs { get; init; }

    /// <summary>Default <c>--form</c> (where <see cref="MethodOption.Form"/> applies).</summary>
    public DiffusionFormKind? Form { get; init; }

    /// <summary>Default <c>--config</c> (where <see cref="MethodOption.Config"/> applies).</summary>
    public NetworkPreset? Config { get; init; }

    /// <summary>Default <c>--crop</c> when there is no teacher to take it from.</summary>
    public int? Crop { get; init; }

    /// <summary>Makes the method's objective (and, for progressive, the grid its result is sampled on).</summary>
    public required Func<ObjectiveInputs, MethodObjective> Objective { get; init; }

    /// <summary>The command-line name.</summary>
    public string Name => EnumNames.Of(Method);

    /// <summary>Whether <paramref name="option"/> applies.</summary>
    public bool Takes(MethodOption option) => Options.Contains(option);
}

/// <summary>What a method's objective factory gets from <c>DistillCommand</c>.</summary>
/// <param name="Options">The validated options (per-method defaults resolved).</param>
/// <param name="Metadata">The result's metadata so far (σ settings, config).</param>
/// <param name="Student">The trained network (initialized from the teacher where there is one).</param>
/// <param name="Target">A second network of the same architecture (EMA target or round teacher).</param>
/// <param name="SamplingEma">A third one: the sampling EMA.</param>
/// <param name="TeacherStep">One Heun step of the teacher (null without a teacher).</param>
/// <param name="Pairs">Rectified diffusion's (noise, teacher sample) pairs (null otherwise).</param>
/// <param name="OnRoundFinished">Progressive: saves the student after each round (steps, grid).</param>
public sealed record ObjectiveInputs(DistillOptions Options, ModelMetadata Metadata, Preconditioning.PreconditionedNetwork Student,
    Preconditioning.PreconditionedNetwork Target, Preconditioning.PreconditionedNetwork SamplingEma, OdeStep? TeacherStep,
    RectifiedPairs? Pairs, Action<int, double[]> OnRoundFinished)
{
    /// <summary>The Karras grid of N points (no trailing zero) for the σ settings of <see cref="Metadata"/>.</summary>
    public double[] Grid => KarrasSchedule.Sigmas(Options.N, Metadata.SigmaMin, Metadata.SigmaMax, Metadata.Rho, appendZero: false).ToArray();

    /// <summary>The teacher step; only methods with <see cref="DistillMethod.NeedsTeacher"/> ask.</summary>
    public OdeStep Teacher => TeacherStep ?? throw new InvalidOperationException($"{EnumNames.Of(Options.Method)} needs a teacher");
}

/// <summary>An objective and the fixed Euler grid its result is sampled on (null: the sampling plan's default).</summary>
public sealed record MethodObjective(ITrainingObjective Objective, double[]? SamplingSigmas = null);

/// <summary>
/// The method table of <c>cm distill</c>. LPIPS is not available (no pretrained VGG), so where a paper used LPIPS
/// the default is pseudo-Huber.
/// </summary>
public static class DistillMethods
{
    /// <summary>EMA decay of the sampling EMA every method keeps beside its student.</summary>
    public const double SamplingEmaRate = 0.999;

    /// <summary>Default training iterations (a ~40-minute budget on 2 cores for the small config).</summary>
    public const int Iters = 10_000;

    private static readonly IReadOnlySet<LossWeightingKind> AllWeightings = Enum.GetValues<LossWeightingKind>().ToHashSet();

    private static readonly IReadOnlySet<LossWeightingKind> SingleLevelWeightings =
        Enum.GetValues<LossWeightingKind>().Where(w => !LossWeighting.NeedsStep(w)).ToHashSet();

    /// <summary>Every method, in <c>--help</c> order.</summary>
    public static IReadOnlyList<DistillMethod> All { get; } =
    [
        new()
        {
            Method = TrainingMethod.Cd,
            Summary = "consistency distillation (Song et al. 2023): one teacher Heun step on an N-point Karras grid, EMA target",
            NeedsTeacher = true, ReadsData = true, Result = ModelKind.Consistency, Sampling = SamplingKind.Consistency,
            Loss = DistanceMetricKind.PseudoHuber, Weighting = LossWeightingKind.Uniform, Weightings = AllWeightings,
            Lr = 4e-4, N = 18, NMeaning = "Karras grid points",
            Options = new HashSet<MethodOption> { MethodOption.Ema, MethodOption.Init }, Ema = 0.95,
            Objective = i => new(new ConsistencyDistillationObjective(i.Student, i.Target, i.SamplingEma, i.Teacher,
                new ConsistencyDistillationLoss(i.Grid, i.Options.Loss, i.Options.Weighting, i.Metadata.SigmaData),
                i.Options.Ema!.Value, SamplingEmaRate)),
        },
        new()
        {
            Method = TrainingMethod.Ct,
            Summary = "consistency training (Song et al. 2023), no teacher: N grows from --n-start to --n, EMA target with mu(k) from --ema = mu0",
            NeedsTeacher = false, ReadsData = true, Result = ModelKind.Consistency, Sampling = SamplingKind.Consistency,
            Loss = DistanceMetricKind.PseudoHuber, Weighting = LossWeightingKind.Uniform, Weightings = AllWeightings,
            Lr = 4e-4, N = 150, NMeaning = "final N of the curriculum",
            Options = new HashSet<MethodOption> { MethodOption.NStart, MethodOption.Ema, MethodOption.Config },
            NStart = 2, Ema = 0.9, Config = NetworkPreset.Small, Crop = 32,
            Objective = i => new(ConsistencyTraining(i, improved: false)),
        },
        new()
        {
            Method = TrainingMethod.Ict,
            Summary = "improved consistency training (Song & Dhariwal 2023), no teacher: N doubles from --n-start to --n, no EMA target, lognormal noise levels",
            NeedsTeacher = false, ReadsData = true, Result = ModelKind.Consistency, Sampling = SamplingKind.Consistency,
            Loss = DistanceMetricKind.PseudoHuber, Weighting = LossWeightingKind.InverseStep, Weightings = AllWeightings,
            Lr = 1e-4, N = 1280, NMeaning = "final N of the doubling curriculum",
            Options = new HashSet<MethodOption> { MethodOption.NStart, MethodOption.Config },
            NStart = 10, Config = NetworkPreset.Small, Crop = 32,
            Objective = i => new(ConsistencyTraining(i, improved: true)),
        },
        new()
        {
            Method = TrainingMethod.DirectCd,
            Summary = "direct consistency distillation (seed 003): regress on the teacher's full Heun solution down to epsilon",
            NeedsTeacher = true, ReadsData = true, Result = ModelKind.Consistency, Sampling = SamplingKind.Consistency,
            Loss = DistanceMetricKind.PseudoHuber, Weighting = LossWeightingKind.Uniform, Weightings = SingleLevelWeightings,
            Lr = 4e-4, N = 18, NMeaning = "Karras grid points",
            Options = new HashSet<MethodOption> { MethodOption.Init },
            Objective = i => new(new DirectConsistencyDistillationObjective(i.Student, i.SamplingEma, i.Teacher,
                new DirectConsistencyDistillationLoss(i.Grid, i.Options.Loss, i.Options.Weighting, i.Metadata.SigmaData), SamplingEmaRate)),
        },
        new()
        {
            Method = TrainingMethod.Progressive,
            Summary = "progressive distillation (Salimans & Ho 2022): halve the teacher's Euler step count each round; a few-step denoiser",
            NeedsTeacher = true, ReadsData = true, Result = ModelKind.Teacher, Sampling = SamplingKind.FewStep,
            Loss = DistanceMetricKind.L2, Weighting = LossWeightingKind.TruncatedSnr, Weightings = SingleLevelWeightings,
            Lr = 2e-4, N = 32, NMeaning = "teacher steps of round 1, a power of 2", NPowerOfTwo = true,
            Options = new HashSet<MethodOption> { MethodOption.Rounds },
            Objective = i =>
            {
                var objective = new ProgressiveDistillationObjective(i.Student, i.Target,
                    new ProgressiveDistillationLoss(i.Options.Loss, i.Options.Weighting, i.Metadata.SigmaData),
                    i.Options.N, i.Options.Rounds!.Value, i.Options.Iters, i.OnRoundFinished, i.Metadata.SigmaMin, i.Metadata.SigmaMax, i.Metadata.Rho);
                return new(objective, objective.FinalGrid);
            },
        },
        new()
        {
            Method = TrainingMethod.Rectified,
            Summary = "rectified diffusion (seed 002): retrain on --pairs (noise, teacher sample) pairs in --form; a few-step denoiser "
                + "(for rectified + cd, run cd with the rectified model as --teacher)",
            NeedsTeacher = true, ReadsData = false, Result = ModelKind.Teacher, Sampling = SamplingKind.FewStep,
            Loss = DistanceMetricKind.L2, Weighting = LossWeightingKind.Karras, Weightings = SingleLevelWeightings,
            Lr = 2e-4, N = 18, MinN = 1, NMeaning = "teacher Heun steps per pair (18 = 35 NFE)",
            Options = new HashSet<MethodOption> { MethodOption.Pairs, MethodOption.Form }, Pairs = 10_000, Form = DiffusionFormKind.Flow,
            Objective = i =>
            {
                var form = DiffusionForms.Create(i.Options.Form!.Value);
                double sigmaMax = i.Metadata.SigmaMax;
                return new(new RectifiedDiffusionObjective(i.Student, i.SamplingEma,
                    new RectifiedDiffusionLoss(u => DiffusionForms.SigmaOfUniformTime(form, u, sigmaMax), i.Metadata.SigmaMin, sigmaMax,
                        i.Options.Loss, i.Options.Weighting, i.Metadata.SigmaData),
                    i.Pairs ?? throw new InvalidOperationException("rectified needs its pairs"), SamplingEmaRate));
            },
        },
    ];

    /// <summary>The record of <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a distillation method (teacher, unknown).</exception>
    public static DistillMethod Of(TrainingMethod method) =>
        All.FirstOrDefault(m => m.Method == method)
        ?? throw new ArgumentOutOfRangeException(nameof(method), method, $"{EnumNames.Of(method)} is not a method of cm distill");

    /// <summary>The methods as command-line names ("cd, ct or ict") that take <paramref name="option"/>.</summary>
    public static string Taking(MethodOption option) => Names(All.Where(m => m.Takes(option)));

    /// <summary>"a, b and c".</summary>
    public static string Names(IEnumerable<DistillMethod> methods)
    {
        var names = methods.Select(m => m.Name).ToList();
        return names.Count <= 1 ? string.Concat(names) : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];
    }

    private static ConsistencyTrainingObjective ConsistencyTraining(ObjectiveInputs i, bool improved) =>
        new(i.Student, improved ? null : i.Target, i.SamplingEma,
            new ConsistencyTrainingLoss(i.Options.Loss, i.Options.Weighting, i.Metadata.SigmaData),
            improved, i.Options.Iters, i.Options.NStart!.Value, i.Options.N, i.Options.Ema, SamplingEmaRate,
            i.Metadata.SigmaMin, i.Metadata.SigmaMax, i.Metadata.Rho);
}
