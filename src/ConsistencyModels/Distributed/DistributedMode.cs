namespace ConsistencyModels.Distributed;

/// <summary>Which process group a training run uses (the CLI's <c>--distributed</c> option).</summary>
public enum DistributedMode
{
    /// <summary>One process; nothing MPI is loaded (the default).</summary>
    None,

    /// <summary>Open MPI: launch with <c>mpirun -np K</c>; one rank per process.</summary>
    Mpi,
}
