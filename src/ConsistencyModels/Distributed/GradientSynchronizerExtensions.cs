namespace ConsistencyModels.Distributed;

/// <summary>Collective helpers built on <see cref="IGradientSynchronizer.AllReduceScalar"/>.</summary>
public static class GradientSynchronizerExtensions
{
    /// <summary>
    /// True on every rank if any rank's <paramref name="localValue"/> is NaN or ±∞ (MAX of a 0/1 flag), so all
    /// ranks stop at the same step and keep the last good checkpoint instead of one rank leaving the others hanging.
    /// </summary>
    public static bool AnyRankNonFinite(this IGradientSynchronizer synchronizer, double localValue)
    {
        ArgumentNullException.ThrowIfNull(synchronizer);
        return synchronizer.AllReduceScalar(double.IsFinite(localValue) ? 0 : 1, ReduceOperation.Max) > 0;
    }

    /// <summary>Mean of <paramref name="localValue"/> over ranks (e.g. the loss to log on rank 0).</summary>
    public static double MeanOverRanks(this IGradientSynchronizer synchronizer, double localValue)
    {
        ArgumentNullException.ThrowIfNull(synchronizer);
        return synchronizer.AllReduceScalar(localValue, ReduceOperation.Sum) / synchronizer.WorldSize;
    }
}
