namespace ConsistencyModels.Distributed;

/// <summary>How values from all ranks are combined by an all-reduce.</summary>
public enum ReduceOperation
{
    /// <summary>Sum over ranks (MPI_SUM).</summary>
    Sum,

    /// <summary>Maximum over ranks (MPI_MAX), e.g. "did any rank see a non-finite loss".</summary>
    Max,

    /// <summary>Minimum over ranks (MPI_MIN).</summary>
    Min,
}
