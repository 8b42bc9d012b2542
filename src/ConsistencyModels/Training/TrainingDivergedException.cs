namespace ConsistencyModels.Training;

/// <summary>Thrown when a loss or gradient becomes NaN/Inf: training stops, the last good checkpoint is kept.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(long step, string quantity, string? lastCheckpoint)
        : base($"the {quantity} became NaN/Inf at step {step}; training stopped" +
               (lastCheckpoint is null ? " (no checkpoint had been written yet)." : $"; the last good checkpoint is {lastCheckpoint}."))
    {
        Step = step;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>The step whose loss or gradient was not finite.</summary>
    public long Step { get; }

    /// <summary>The last checkpoint written before it, if any.</summary>
    public string? LastCheckpoint { get; }
}
