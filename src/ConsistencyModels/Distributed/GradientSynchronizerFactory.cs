namespace ConsistencyModels.Distributed;

/// <summary>Creates the synchronizer for a <see cref="DistributedMode"/>; only <see cref="DistributedMode.Mpi"/> loads MPI.</summary>
public static class GradientSynchronizerFactory
{
    /// <summary>Parses the CLI value: "none" (or empty) or "mpi", case-insensitive.</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static DistributedMode ParseMode(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => DistributedMode.None,
        "mpi" => DistributedMode.Mpi,
        _ => throw new ArgumentException($"--distributed must be 'none' or 'mpi', got '{value}'.", nameof(value)),
    };

    /// <summary>
    /// <see cref="SingleProcessSynchronizer.Instance"/> for None; a new <see cref="MpiSynchronizer"/> for Mpi.
    /// Dispose the result at the end of the run (MPI_Finalize; a no-op for one process).
    /// </summary>
    /// <param name="mode">The process group.</param>
    /// <param name="bucketBytes">All-reduce bucket cap in bytes (MPI only).</param>
    public static IGradientSynchronizer Create(DistributedMode mode, long bucketBytes = GradientBucketPlan.DefaultBucketBytes) => mode switch
    {
        DistributedMode.None => SingleProcessSynchronizer.Instance,
        DistributedMode.Mpi => new MpiSynchronizer(bucketBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be None or Mpi."),
    };
}
