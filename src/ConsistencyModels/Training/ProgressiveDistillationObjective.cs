using ConsistencyModels.Losses;
using ConsistencyModels.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Progressive distillation in rounds (Salimans &amp; Ho 2022): round r trains the student to take one Euler
/// step where the round's teacher took two, on a base Karras grid of 2K₀ steps seen at stride 2^r; at the end
/// of a round the student becomes the next teacher and the step count halves. The training budget is split
/// evenly over the rounds.
/// </summary>
public sealed class ProgressiveDistillationObjective : StudentObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor> _teacher;
    private readonly ProgressiveDistillationLoss _loss;
    private readonly double[] _baseGrid;
    private readonly int _rounds;
    private readonly long _stepsPerRound;
    private readonly Action<int, double[]>? _onRoundFinished;

    /// <summary>Creates the objective.</summary>
    /// <param name="student">The student denoiser (EDM-preconditioned, initialized from the teacher).</param>
    /// <param name="teacher">A module of the same architecture holding the current teacher (overwritten with the student).</param>
    /// <param name="loss">The loss.</param>
    /// <param name="teacherSteps">Steps of the first teacher (a power of two ≥ 2, e.g. 32).</param>
    /// <param name="rounds">Halvings (≤ log2 teacherSteps); the final student takes teacherSteps / 2^rounds steps.</param>
    /// <param name="totalSteps">Total optimizer steps over all rounds.</param>
    /// <param name="onRoundFinished">Called with (student steps, student grid) when a round ends, to save a snapshot.</param>
    /// <param name="sigmaMin">σmin of the base grid.</param>
    /// <param name="sigmaMax">σmax of the base grid.</param>
    /// <param name="rho">ρ of the base grid.</param>
    public ProgressiveDistillationObjective(nn.Module<Tensor, Tensor, Tensor?, Tensor> student, nn.Module<Tensor, Tensor, Tensor?, Tensor> teacher,
        ProgressiveDistillationLoss loss, int teacherSteps, int rounds, long totalSteps, Action<int, double[]>? onRoundFinished = null,
        double sigmaMin = KarrasSchedule.DefaultSigmaMin, double sigmaMax = KarrasSchedule.DefaultSigmaMax, double rho = KarrasSchedule.DefaultRho)
        : base(TrainingMethod.Progressive, student, samplingEma: null, samplingEmaRate: 0)
    {
        if (teacherSteps < 2 || (teacherSteps & (teacherSteps - 1)) != 0)
            throw new ArgumentException($"teacher steps must be a power of two >= 2, got {teacherSteps}.", nameof(teacherSteps));
        if (rounds < 1 || (1 << rounds) > teacherSteps)
            throw new ArgumentException($"rounds must be in [1, log2({teacherSteps})], got {rounds}.", nameof(rounds));
        if (totalSteps < rounds) throw new ArgumentException($"need at least one step per round, got {totalSteps} for {rounds} rounds.", nameof(totalSteps));
        _teacher = Frozen("teacher", teacher);
        _loss = loss;
        _baseGrid = KarrasSchedule.Sigmas(teacherSteps, sigmaMin, sigmaMax, rho, appendZero: true).ToArray();
        _rounds = rounds;
        _stepsPerRound = totalSteps / rounds;
        _onRoundFinished = onRoundFinished;
    }

    /// <summary>The round of step k (0-based).</summary>
    public int Round(long step) => (int)Math.Min(step / _stepsPerRound, _rounds - 1);

    /// <summary>The teacher's grid in round r: the base grid at stride 2^r (ends with 0).</summary>
    public double[] TeacherGrid(int round) => Stride(_baseGrid, 1 << round);

    /// <summary>The student's grid in round r: the base grid at stride 2^(r+1).</summary>
    public double[] StudentGrid(int round) => Stride(_baseGrid, 1 << (round + 1));

    /// <summary>The final student's grid.</summary>
    public double[] FinalGrid => StudentGrid(_rounds - 1);

    private static double[] Stride(double[] grid, int stride)
    {
        var picked = new List<double>();
        for (int i = 0; i < grid.Length; i += stride) picked.Add(grid[i]);
        return picked.ToArray();
    }

    /// <inheritdoc />
    public override Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        var teacherGrid = TeacherGrid(Round(step));
        int studentSteps = (teacherGrid.Length - 1) / 2;
        var indices = randint(0, studentSteps, new long[] { x0.shape[0] }, dtype: ScalarType.Int64, generator: generator);
        var z = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        var teacherStep = TeacherSteps.Step(TeacherSteps.Conditioned(_teacher), "euler");
        return _loss.Compute(TeacherSteps.Conditioned(Student), teacherStep, x0, labels, teacherGrid, indices, z).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void UpdateCopies(long step)
    {
        long done = step + 1;
        int round = Round(step);
        bool roundEnds = round < _rounds - 1 ? done == (round + 1) * _stepsPerRound : false;
        if (!roundEnds) return;
        _onRoundFinished?.Invoke((StudentGrid(round).Length - 1), StudentGrid(round));
        Ema.Copy(_teacher, Student);
    }
}
