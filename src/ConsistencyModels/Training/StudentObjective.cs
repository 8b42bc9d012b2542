using ConsistencyModels.Naming;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// What every training objective shares: a trained network (the student), optionally a sampling EMA of it that
/// becomes the result (θ_ema ← μ·θ_ema + (1 − μ)·θ with <see cref="Ema.WarmupRate"/>), further frozen copies
/// (an EMA target, a round's teacher) that start as the student's weights, and the checkpoint naming of all of
/// them. A method only says its loss and what else changes after a step (<see cref="UpdateCopies"/>).
/// </summary>
public abstract class StudentObjective : ITrainingObjective
{
    private readonly Dictionary<string, nn.Module> checkpointModules = new();
    private readonly nn.Module<Tensor, Tensor, Tensor?, Tensor>? samplingEma;
    private readonly double samplingEmaRate;

    /// <summary>Registers the student (checkpoint prefix <paramref name="studentName"/>) and, when given, its sampling EMA
    /// ("ema"), which is overwritten with the student's weights and frozen.</summary>
    protected StudentObjective(TrainingMethod method, nn.Module<Tensor, Tensor, Tensor?, Tensor> student,
        nn.Module<Tensor, Tensor, Tensor?, Tensor>? samplingEma, double samplingEmaRate, string studentName = "student")
    {
        ArgumentNullException.ThrowIfNull(student);
        Guard.InRange(samplingEmaRate, 0, 1, nameof(samplingEmaRate));
        MethodKind = method;
        Student = student;
        checkpointModules[studentName] = student;
        this.samplingEma = samplingEma;
        this.samplingEmaRate = samplingEmaRate;
        if (samplingEma is not null) Frozen("ema", samplingEma);
    }

    /// <summary>The method.</summary>
    public TrainingMethod MethodKind { get; }

    /// <inheritdoc />
    public string Method => EnumNames.Of(MethodKind);

    /// <summary>The trained network.</summary>
    protected nn.Module<Tensor, Tensor, Tensor?, Tensor> Student { get; }

    /// <inheritdoc />
    public nn.Module Trainable => Student;

    /// <inheritdoc />
    public nn.Module ResultModel => (nn.Module?)samplingEma ?? Student;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> CheckpointModules => checkpointModules;

    /// <summary>Registers a frozen copy of the student (checkpoint prefix <paramref name="name"/>), starting from its weights.</summary>
    protected T Frozen<T>(string name, T copy) where T : nn.Module<Tensor, Tensor, Tensor?, Tensor>
    {
        ArgumentNullException.ThrowIfNull(copy);
        Ema.InitializeFrozenCopy(copy, Student);
        checkpointModules[name] = copy;
        return copy;
    }

    /// <inheritdoc />
    public abstract Tensor Loss(long step, Tensor x0, Tensor? labels, Generator generator);

    /// <summary>Updates the method's own copies (EMA target, round teacher) after optimizer step <paramref name="step"/>.</summary>
    protected virtual void UpdateCopies(long step) { }

    /// <inheritdoc />
    public void AfterOptimizerStep(long step)
    {
        UpdateCopies(step);
        if (samplingEma is not null) Ema.Update(samplingEma, Student, Ema.WarmupRate(samplingEmaRate, step));
    }

    /// <inheritdoc />
    public virtual void OnResumed(long step) { }

    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
