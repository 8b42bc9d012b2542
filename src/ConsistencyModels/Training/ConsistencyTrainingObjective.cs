using ConsistencyModels.Losses;
using ConsistencyModels.Platform;
using ConsistencyModels.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Consistency training without a teacher. CT (Song et al. 2023, Alg. 3): N(k) grows from s0+1 to s1+1, the
/// target is an EMA with μ(k) = exp(s0·ln μ0 / N(k)), n uniform. iCT (Song &amp; Dhariwal 2023): N(k) doubles
/// from 10 to 1280, θ⁻ = stopgrad(θ), n from the discretized lognormal, pseudo-Huber, λ = 1/(σ_n − σ_{n+1}).
/// </summary>
public sealed class ConsistencyTrainingObjective : StudentObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor>? _target;
    private readonly ConsistencyTrainingLoss _loss;
    private readonly bool _improved;
    private readonly long _totalSteps;
    private readonly int _s0, _s1;
    private readonly double? _mu0;
    private readonly double _sigmaMin, _sigmaMax, _rho;
    private readonly Dictionary<int, IctNoiseIndexDistribution> _ictDistributions = new();

    /// <summary>Creates the objective; <paramref name="target"/> and <paramref name="mu0"/> are required for CT and must be null for iCT
    /// (no EMA target).</summary>
    public ConsistencyTrainingObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor>? target,
        nn.Module<Tensor, Tensor, Tensor?, Tensor> ema, ConsistencyTrainingLoss loss, bool improved, long totalSteps,
        int s0, int s1, double? mu0, double emaRate, double sigmaMin = KarrasSchedule.DefaultSigmaMin,
        double sigmaMax = KarrasSchedule.DefaultSigmaMax, double rho = KarrasSchedule.DefaultRho)
        : base(improved ? TrainingMethod.Ict : TrainingMethod.Ct, student, ema, emaRate)
    {
        if (!improved && (target is null || mu0 is null))
            throw new ArgumentException("CT needs a target network (the EMA θ⁻) and its μ₀.", nameof(target));
        if (improved && (target is not null || mu0 is not null))
            throw new ArgumentException("iCT has no EMA target (θ⁻ = stopgrad(θ)): pass no target and no μ₀.", nameof(target));
        _target = target is null ? null : Frozen("target", target);
        _loss = loss;
        _improved = improved;
        _totalSteps = totalSteps;
        _s0 = s0;
        _s1 = s1;
        _mu0 = mu0;
        _sigmaMin = sigmaMin;
        _sigmaMax = sigmaMax;
        _rho = rho;
    }

    /// <summary>The schedule (N, μ) at step k.</summary>
    public ConsistencyScheduleStep Schedule(long step) => _improved
        ? ConsistencySchedules.Ict(step, _totalSteps, _s0, _s1)
        : ConsistencySchedules.Ct(step, _totalSteps, _s0, _s1, _mu0!.Value);

    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        int n = Schedule(step).N;
        var sigmas = KarrasSchedule.Sigmas(n, _sigmaMin, _sigmaMax, _rho, appendZero: false);
        long batch = x0.shape[0];
        Tensor indices;
        if (_improved)
        {
            if (!_ictDistributions.TryGetValue(n, out var dist))
                _ictDistributions[n] = dist = IctNoiseIndexDistribution.ForKarras(n, _sigmaMin, _sigmaMax, _rho);
            // The distribution indexes pairs (σ_i, σ_{i+1}) of the increasing grid; on our decreasing grid the
            // larger level of that pair sits at N−2−i.
            indices = dist.Sample(generator, (int)batch).SubtractedFrom(n - 2);
        }
        else
        {
            indices = randint(0, n - 1, new long[] { batch }, dtype: ScalarType.Int64, generator: generator);
        }
        var z = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        var target = _target ?? Student;
        return _loss.Compute(TeacherSteps.Conditioned(Student), TeacherSteps.Conditioned(target), x0, labels, sigmas, indices, z)
            .MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void UpdateCopies(long step)
    {
        if (_target is not null) Ema.Update(_target, Student, Schedule(step).Mu);
    }
}
