namespace ConsistencyModels.Schedules;

/// <summary>The discretization N (number of grid points) and target-EMA decay μ at one training step.</summary>
/// <param name="N">Number of points of the Karras grid used for the loss.</param>
/// <param name="Mu">EMA decay of the target network θ⁻ (0 means θ⁻ = stopgrad(θ), as in iCT).</param>
public readonly record struct ConsistencyScheduleStep(int N, double Mu);
