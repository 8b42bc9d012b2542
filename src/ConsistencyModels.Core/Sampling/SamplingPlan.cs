using ConsistencyModels.IO;
using ConsistencyModels.Schedules;

namespace ConsistencyModels.Sampling;

/// <summary>
/// How evaluation i + 1 of a few-step plan gets its input from evaluation i:
/// x_{i+1} = <see cref="Input"/>·x_i + <see cref="Denoised"/>·D_i + <see cref="Noise"/>·z_{i+1}, with D_i the network's
/// output at x_i and z_{i+1} ~ N(0, I) fresh noise (drawn only when <see cref="Noise"/> ≠ 0).
/// </summary>
/// <param name="Input">Weight of the previous input x_i.</param>
/// <param name="Denoised">Weight of the previous output D_i.</param>
/// <param name="Noise">Weight of fresh unit noise (the re-noise rule).</param>
public readonly record struct PlanTransition(double Input, double Denoised, double Noise);

/// <summary>
/// The one place that decides how a model is sampled: its default sampler and step count, the noise levels of any
/// sampler, and, for the samplers that take one network evaluation per step (consistency, Euler), the few-step plan
/// that <c>ModelSampler</c> and the runtime's texture generator both execute.
/// </summary>
/// <remarks>
/// A plan: x_0 = <see cref="StartScale"/>·z_0; D_i = model(x_i, <see cref="Sigmas"/>[i]); the
/// <see cref="Transitions"/> make the next input; the sample is the last D. Multistep consistency sampling (Song et al.
/// 2023, Alg. 1) is x_{i+1} = D_i + √(τ² − ε²)·z; Euler on a grid ending at 0 is x_{i+1} = x_i + (σ_{i+1} − σ_i)·(x_i − D_i)/σ_i,
/// whose last step to 0 returns D itself.
/// <para>
/// Noise levels: consistency sampling takes the model's searched τ (<see cref="ModelMetadata.MultistepTaus"/>) for 2 steps,
/// else evenly spaced indices of a 40-point Karras grid. ODE samplers take the model's own grid when it was distilled for
/// that many steps (<see cref="ModelMetadata.SamplingSigmas"/>), else a Karras grid ending at 0 — except a few-step
/// denoiser at 2 steps, whose middle level is its searched σ₁ (also in MultistepTaus) or the same mid-trajectory default
/// as consistency sampling: the Karras grid's [σmax, σmin, 0] would spend the second evaluation at σmin, where it
/// changes almost nothing.
/// </para>
/// </remarks>
public sealed record SamplingPlan
{
    /// <summary>Points of the Karras grid the τ defaults and the τ search index into (as the reference code did).</summary>
    public const int TauGridPoints = 40;

    /// <summary>Consistency sampling takes its τ from a <see cref="TauGridPoints"/>-point grid: at most 39 distinct steps.</summary>
    public const int MaxConsistencySteps = TauGridPoints - 1;

    private SamplingPlan(SamplerKind sampler, double startScale, double[] sigmas, PlanTransition[] transitions)
    {
        Sampler = sampler;
        StartScale = startScale;
        Sigmas = sigmas;
        Transitions = transitions;
    }

    /// <summary>The sampler this plan executes (consistency or Euler).</summary>
    public SamplerKind Sampler { get; }

    /// <summary>x_0 = StartScale·z_0 (σmax).</summary>
    public double StartScale { get; }

    /// <summary>σ of each network evaluation.</summary>
    public IReadOnlyList<double> Sigmas { get; }

    /// <summary>From evaluation i to i + 1 (one fewer than <see cref="Sigmas"/>).</summary>
    public IReadOnlyList<PlanTransition> Transitions { get; }

    /// <summary>Network evaluations (= steps).</summary>
    public int Steps => Sigmas.Count;

    /// <summary>The default sampler of a model: consistency for consistency models, Euler for few-step denoisers, Heun otherwise.</summary>
    public static SamplerKind DefaultSampler(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.Sampling switch
        {
            SamplingKind.Consistency => SamplerKind.Consistency,
            SamplingKind.FewStep => SamplerKind.Euler,
            SamplingKind.Ode => SamplerKind.Heun,
            _ => throw new ArgumentOutOfRangeException(nameof(metadata), metadata.Sampling, "unknown sampling kind"),
        };
    }

    /// <summary>The default step count for <paramref name="sampler"/>: 1 for consistency sampling; for a few-step denoiser
    /// the steps of its own grid, else 2; 18 (35 NFE) for Heun and the stochastic sampler; else 35.</summary>
    public static int DefaultSteps(ModelMetadata metadata, SamplerKind sampler)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        bool ownGrid = metadata.SamplingSigmas.Length > 1;
        return sampler switch
        {
            SamplerKind.Consistency => 1,
            SamplerKind.Heun or SamplerKind.Stochastic => 18,
            SamplerKind.Euler or SamplerKind.DpmPlusPlus2M => ownGrid ? metadata.SamplingSigmas.Length - 1
                : metadata.Sampling == SamplingKind.FewStep ? 2 : 35,
            _ => throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler"),
        };
    }

    /// <summary>Network evaluations for a sampler and step count.</summary>
    public static int Nfe(SamplerKind sampler, int steps) => sampler switch
    {
        SamplerKind.Heun or SamplerKind.Stochastic => 2 * steps - 1,
        SamplerKind.Euler or SamplerKind.DpmPlusPlus2M or SamplerKind.Consistency => steps,
        _ => throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler"),
    };

    /// <summary>Whether <paramref name="sampler"/> suits the model (consistency sampling for consistency models, and only for them).</summary>
    public static bool Fits(ModelMetadata metadata, SamplerKind sampler)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return (sampler == SamplerKind.Consistency) == (metadata.Sampling == SamplingKind.Consistency);
    }

    /// <summary>
    /// The noise grid of an ODE sampler with <paramref name="steps"/> steps (decreasing, ending at 0); see the remarks.
    /// </summary>
    public static double[] OdeGrid(ModelMetadata metadata, int steps)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Guard.AtLeast(steps, 1, nameof(steps));
        if (metadata.SamplingSigmas.Length == steps + 1) return metadata.SamplingSigmas.ToArray();
        if (steps == 1) return [metadata.SigmaMax, 0.0];
        if (steps == 2 && metadata.Sampling == SamplingKind.FewStep) return [metadata.SigmaMax, TwoStepSigma(metadata), 0.0];
        return KarrasSchedule.Sigmas(steps, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho, appendZero: true).ToArray();
    }

    /// <summary>The intermediate levels τ of multistep consistency sampling with <paramref name="steps"/> steps (see the remarks).</summary>
    public static double[] ConsistencyTaus(ModelMetadata metadata, int steps)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Guard.InRange(steps, 1, MaxConsistencySteps, nameof(steps));
        if (steps == 1) return [];
        if (steps == 2) return [TwoStepSigma(metadata)];
        if (metadata.MultistepTaus.Length == steps - 1) return metadata.MultistepTaus.ToArray();
        return DefaultTaus(metadata, steps);
    }

    /// <summary>The σ of the second evaluation of a 2-step plan: the searched <see cref="ModelMetadata.MultistepTaus"/>[0],
    /// else index 20 of the 40-point Karras grid (≈ 2.3 for the default σ settings).</summary>
    public static double TwoStepSigma(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.MultistepTaus.Length == 1 ? metadata.MultistepTaus[0] : DefaultTaus(metadata, 2)[0];
    }

    private static double[] DefaultTaus(ModelMetadata metadata, int steps)
    {
        var grid = KarrasSchedule.Sigmas(TauGridPoints, metadata.SigmaMin, metadata.SigmaMax, metadata.Rho, appendZero: false);
        var taus = new double[steps - 1];
        for (int i = 1; i < steps; i++) taus[i - 1] = grid[(int)Math.Round(i * (grid.Length - 1.0) / steps)];
        return taus;
    }

    /// <summary>The plan of the model's default sampler (consistency or Euler) for <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentException">The model is an ODE model (a teacher needs tens of Heun steps, not a few-step plan).</exception>
    public static SamplingPlan For(ModelMetadata metadata, int steps) => For(metadata, DefaultSampler(metadata), steps);

    /// <summary>The plan of <paramref name="sampler"/> (consistency or Euler: one evaluation per step) for <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentException">The sampler takes more than one evaluation per step or does not fit the model.</exception>
    public static SamplingPlan For(ModelMetadata metadata, SamplerKind sampler, int steps)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!Fits(metadata, sampler))
            throw new ArgumentException(sampler == SamplerKind.Consistency
                ? "the consistency sampler needs a consistency model; use heun, euler, dpm++2m or stochastic for a diffusion model."
                : "a consistency model samples with the consistency sampler (steps 1, 2, ...), not an ODE solver.");
        switch (sampler)
        {
            case SamplerKind.Consistency:
            {
                var taus = ConsistencyTaus(metadata, steps);
                double eps2 = metadata.SigmaMin * metadata.SigmaMin;
                var transitions = taus.Select(tau => new PlanTransition(0, 1, Math.Sqrt(tau * tau - eps2))).ToArray();
                return new SamplingPlan(sampler, metadata.SigmaMax, [metadata.SigmaMax, .. taus], transitions);
            }
            case SamplerKind.Euler:
            {
                var grid = OdeGrid(metadata, steps);
                if (grid[^1] != 0) throw new ArgumentException($"the model's sampling grid must end at σ = 0, got {grid[^1]}.");
                var transitions = new PlanTransition[steps - 1];
                for (int i = 0; i < transitions.Length; i++)
                {
                    double k = (grid[i + 1] - grid[i]) / grid[i]; // x + (σ' − σ)(x − D)/σ = (1 + k)·x − k·D
                    transitions[i] = new PlanTransition(1 + k, -k, 0);
                }
                return new SamplingPlan(sampler, metadata.SigmaMax, grid[..^1], transitions);
            }
            case SamplerKind.Heun:
            case SamplerKind.Stochastic:
            case SamplerKind.DpmPlusPlus2M:
                throw new ArgumentException($"{Naming.EnumNames.Of(sampler)} takes more than one evaluation per step or mixes earlier ones; only consistency and euler have a few-step plan.", nameof(sampler));
            default:
                throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "unknown sampler");
        }
    }
}
